"""The API's output shape has one source: the response serializers, which also make the
OpenAPI schema. The fast recipient row gives exactly what the serializer gives."""

import pytest

from messaging.api.serializers import RecipientAttributes, recipient_attributes
from messaging.common.choices import Ehr
from messaging.recipients.common import CareSystemRef, Recipient

SYSTEMS = [
    CareSystemRef("589", "VA Kansas City", Ehr.VISTA),
    CareSystemRef("757", "VA Ohio", Ehr.ORACLE_HEALTH),
]


@pytest.mark.parametrize("blocked", [False, True])
@pytest.mark.parametrize("system", SYSTEMS, ids=lambda s: s.ehr)
def test_recipient_row_is_the_serializer_output(system, blocked):
    recipient = Recipient(
        id=4399504,
        source=system.ehr,
        name="PRIMARY CARE <b>",
        display_name="Primary care – Dr. Ó",
        care_system=system,
        blocked=blocked,
        on_contact_list=not blocked,
        signature_required=blocked,
    )
    row = recipient_attributes(recipient)
    assert row == dict(RecipientAttributes(recipient).data)
    assert list(row) == list(RecipientAttributes().fields)
    assert row["oh_triage_group"] is (system.ehr == Ehr.ORACLE_HEALTH)
    assert row["relation_type"] == "PATIENT"
