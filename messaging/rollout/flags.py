"""The product's two feature flags: their names in one place."""

CURATED_LIST_FLOW = "mhv_secure_messaging_curated_list_flow"
RECENT_RECIPIENTS = "mhv_secure_messaging_recent_recipients"
ALL_FLAGS = (CURATED_LIST_FLOW, RECENT_RECIPIENTS)
