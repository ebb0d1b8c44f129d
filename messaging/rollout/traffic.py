"""Which traffic the rollout figures count. Test veterans' events, messages and answers
(qa.md: tagged when recorded) are left out of the criteria, the stage reports and the
dashboard unless `include_test` asks for them."""

from __future__ import annotations

from django.db.models import QuerySet

from messaging.models import CsatResponse, Message, MetricEvent


def events(*, include_test: bool = False) -> QuerySet[MetricEvent]:
    return MetricEvent.objects.all() if include_test else MetricEvent.objects.filter(test=False)


def answers(*, include_test: bool = False) -> QuerySet[CsatResponse]:
    return CsatResponse.objects.all() if include_test else CsatResponse.objects.filter(test=False)


def messages(*, include_test: bool = False) -> QuerySet[Message]:
    if include_test:
        return Message.objects.all()
    return Message.objects.filter(veteran__test_veteran__isnull=True)


def test_sql(include_test: bool) -> tuple[str, list]:
    """The same rule for raw SQL over the metric table: a WHERE fragment and its parameters."""
    return ("", []) if include_test else (" AND test = %s", [False])
