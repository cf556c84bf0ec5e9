"""NativeAuthenticator as dlbox's hub uses it: users the admin added (`dlbox hub users add`)
count as approved when they sign up. Loaded inside the hub process only (`dlbox[hub]`)."""

from __future__ import annotations

from jupyterhub import orm  # type: ignore[import-untyped]
from nativeauthenticator import NativeAuthenticator  # type: ignore[import-untyped]


class DlboxNativeAuthenticator(NativeAuthenticator):  # type: ignore[misc]
    def get_authed_users(self) -> set[str]:
        approved: set[str] = set(super().get_authed_users())
        return approved | {str(user.name) for user in self.db.query(orm.User)}
