"""Course repos: the catalog, cloning and updating into the code folder."""
