import pytest
from django.core.management import call_command

from messaging.models import Flag, Message, MetricEvent

pytestmark = pytest.mark.django_db


def test_simulator_drives_both_flows_web_and_mobile_with_failures(demo_data, set_flags):
    set_flags(curated=True, recent=True)
    call_command("simulate_traffic", veterans=16, days=7, seed=3)
    flows = set(MetricEvent.objects.filter(name="message_sent").values_list("flow", flat=True))
    platforms = set(
        MetricEvent.objects.filter(name="message_sent").values_list("platform", flat=True)
    )
    assert flows == {"curated", "legacy"} and platforms == {"web", "mobile"}
    assert MetricEvent.objects.filter(name="message_sent", status_code__gte=400).exists()
    assert MetricEvent.objects.filter(name="page_view").exists()
    assert Message.objects.filter(
        veteran__username__startswith="sim.veteran.", state="sent"
    ).exists()
    # The flags are as they were.
    assert Flag.objects.get(name="mhv_secure_messaging_curated_list_flow").everyone is True
    # Simulated accounts are not offered on the demo sign-in page.
    from messaging.selectors.accounts import demo_accounts

    assert not [a for a in demo_accounts() if a.username.startswith("sim.")]
