"""Extending the locked environment (dlbox.toml [extras], dlbox.lock), exporting a standalone
build context, and pushing the image to a registry."""
