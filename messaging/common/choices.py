"""Definitions every layer shares: the source (EHR) of a care team, the flow, the platform
and the category of a message. One definition each; nothing here imports the project."""

from django.db import models


class Ehr(models.TextChoices):
    VISTA = "vista", "VistA"
    ORACLE_HEALTH = "oracle_health", "Oracle Health"


class Category(models.TextChoices):
    OTHER = "OTHER", "General: Ask questions about non-urgent, non-emergency issues"
    COVID = "COVID", "COVID: Ask COVID related questions"
    APPOINTMENTS = (
        "APPOINTMENTS",
        "Appointment: Request an appointment or ask about an existing appointment",
    )
    MEDICATIONS = (
        "MEDICATIONS",
        "Medication: Request to renew a prescription or ask a question about medication",
    )
    TEST_RESULTS = (
        "TEST_RESULTS",
        "Test: Ask a question about a test/lab result or about a future test or procedure",
    )
    EDUCATION = "EDUCATION", "Education: Request health education information"


class Flow(models.TextChoices):
    CURATED = "curated", "Curated list"
    LEGACY = "legacy", "Legacy compose"


class Platform(models.TextChoices):
    WEB = "web", "Web"
    MOBILE = "mobile", "VA mobile app"
    MY_VA_HEALTH = "my_va_health", "My VA Health"
