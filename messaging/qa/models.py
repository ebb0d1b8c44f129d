"""The QA tools' tables: which accounts are test veterans (with their overrides) and the
one-time sign-in links. Models of the `messaging` app (`messaging.models` imports them);
this module imports nothing of the product, so the flag model can ask it."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import models, transaction


@dataclass(frozen=True)
class TestState:
    """What the QA tools say about one account: a test veteran or not, and the overrides in
    force for it (only while the QA tools are on)."""

    __test__ = False  # not a pytest test class

    test: bool = False
    flags: dict[str, bool] = field(default_factory=dict)
    today_offset_days: int | None = None

    @property
    def has_overrides(self) -> bool:
        return bool(self.flags) or self.today_offset_days is not None


_NOT_TEST = TestState()


class TestVeteran(models.Model):
    """A veteran account the QA tools may act on (qa.md): created by them from a scenario or
    an inline entry, or marked `testAccount: true` in a bundle. Real veterans have no row."""

    __test__ = False  # not a pytest test class
    FROM_BUNDLE = "bundle"
    INLINE = "inline"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="test_veteran"
    )
    scenario = models.CharField(max_length=40)  # a scenario name, "inline" or "bundle"
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="test_veterans_created",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The bundle (without passwords) it was made from: reset stores it again.
    entry = models.JSONField(default=dict)
    flag_overrides = models.JSONField(default=dict)  # flag name -> on/off
    today_offset_days = models.IntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"test veteran {self.user_id} ({self.scenario})"

    @staticmethod
    def cache_key(user_id: int) -> str:
        return f"sm:test-state:{user_id}"

    @classmethod
    def state_for(cls, user) -> TestState:
        """The account's test state: read once per request object, from the shared cache
        (a database read only after a change), so real veterans pay one cache read."""
        memo = getattr(user, "_sm_test_state", None)
        if memo is not None:
            return memo
        state = cls.state_for_id(user.pk)
        try:
            user._sm_test_state = state
        except AttributeError:  # pragma: no cover - an object without a __dict__
            pass
        return state

    @classmethod
    def state_for_id(cls, user_id: int | None) -> TestState:
        if user_id is None:
            return _NOT_TEST
        key = cls.cache_key(user_id)
        cached = cache.get(key)
        if cached is None:
            row = cls.objects.filter(user_id=user_id).values_list(
                "flag_overrides", "today_offset_days"
            )
            found = row.first()
            cached = (
                {"test": False}
                if found is None
                else {"test": True, "flags": found[0] or {}, "offset": found[1]}
            )
            cache.set(key, cached, 3600)
        if not cached.get("test"):
            return _NOT_TEST
        if not settings.SM_QA_TOOLS:  # overrides never apply where the QA tools are off
            return TestState(test=True)
        return TestState(
            test=True, flags=dict(cached.get("flags") or {}), today_offset_days=cached.get("offset")
        )

    @classmethod
    def forget(cls, user_id: int) -> None:
        """Drop the cached state once the change that made it stale is committed."""
        key = cls.cache_key(user_id)
        cache.delete(key)
        transaction.on_commit(lambda: cache.delete(key))


class SignInLink(models.Model):
    """A one-time sign-in link for a test veteran (qa.md): valid 10 minutes, used once.
    The link carries a signed nonce (django.core.signing); this row makes it single-use."""

    nonce = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sign_in_links"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"sign-in link for {self.user_id}"
