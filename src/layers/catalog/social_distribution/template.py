"""The ``social-distribution`` template: config schema, commands and triggers."""

from __future__ import annotations

from typing import Any

from layers.catalog.social_distribution import binding, dispatch, recovery, workflows
from layers.engine.templates import Command, ConfigTrigger, Template, Workflow

PLAN = "social-distribution-plan"
ATTACH = "social-distribution-attach"
PUBLISH_DUE = "social-distribution-publish-due"
RECOVER = "social-distribution-recover-overdue"

CONFIG_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "social": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "socialAccountId": {
                    "type": "string",
                    "pattern": "^sa_[A-Za-z0-9]{1,60}$",
                    "description": "The bound account (required; one layer per account).",
                }
            },
        },
        "distributionMode": {
            "enum": ["automatic", "custom", "manual"],
            "description": "automatic: 1–3 slots a day by the account's temperature; custom: "
            "schedule.times; manual: no slots.",
        },
        "postsPerDay": {
            "type": "integer",
            "minimum": 1,
            "maximum": 5,
            "description": "custom: equals len(schedule.times) (the default); automatic: caps "
            "the temperature's slots.",
        },
        "schedule": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "times": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 5,
                    "uniqueItems": True,
                    "items": {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"},
                    "description": "custom mode only: 24-hour HH:MM in the project timezone.",
                    # Read by forms (the console): shown, and kept, only in custom mode.
                    "x-appliesWhen": {"distributionMode": ["custom"]},
                }
            },
        },
        "generationMode": {
            "enum": ["manual", "automatic"],
            "description": "automatic: empty slots request generation.",
        },
        "willPublish": {
            "type": "boolean",
            "description": "Gates the whole publish loop; keep false while testing.",
        },
        "contentLayerSourceIds": {
            "type": "array",
            "maxItems": 20,
            "uniqueItems": True,
            "items": {"type": "string", "pattern": "^lyr_[A-Za-z0-9]{1,60}$"},
            "description": "The content layers to draw from.",
        },
    },
}

DEFAULT_CONFIG: dict[str, Any] = {
    "distributionMode": "automatic",
    "generationMode": "manual",
    "willPublish": False,
    "contentLayerSourceIds": [],
}

TRIGGER_KEYS = (
    "distributionMode",
    "willPublish",
    "postsPerDay",
    "schedule.times",
    "contentLayerSourceIds",
    "generationMode",
    "social.socialAccountId",
)

TEMPLATE = Template(
    id=binding.TEMPLATE_ID,
    name="Social Distribution",
    version="1.0.0",
    description="Plans daily slots for one social account, attaches content to them and "
    "publishes it at slot time.",
    config_schema=CONFIG_SCHEMA,
    default_config=DEFAULT_CONFIG,
    workflows=(
        Workflow(PLAN, 1, workflows.plan_v1),
        Workflow(ATTACH, 1, workflows.attach_v1),
        Workflow(PUBLISH_DUE, 1, workflows.publish_due_v1),
        Workflow(RECOVER, 1, workflows.recover_overdue_v1),
    ),
    commands={
        "initialize": Command(
            "internal", PLAN, 1, description="Validate the config and account, then plan."
        ),
        "refresh-schedule": Command(
            "executable",
            PLAN,
            1,
            description="Plan the slots now.",
            parameters_schema={
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "horizonDays": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": 60,
                        "description": "Plan at least this many days ahead.",
                    }
                },
            },
        ),
        "refresh-schedule-scheduled": Command(
            "scheduled",
            PLAN,
            1,
            default_cron="0 3 * * *",
            cron_override=True,
            description="Nightly planning (UTC).",
        ),
        "attach-to-schedule": Command(
            "executable",
            ATTACH,
            1,
            description="Attach completed content to the earliest empty slot.",
            parameters_schema={
                "type": "object",
                "additionalProperties": False,
                "required": ["containerId"],
                "properties": {
                    "containerId": {
                        "type": "string",
                        "pattern": "^cnt_[A-Za-z0-9]{1,60}$",
                        "description": "A completed content container of the project.",
                    }
                },
            },
        ),
        "process-due": Command(
            "scheduled",
            PUBLISH_DUE,
            1,
            default_cron="* * * * *",
            probe=dispatch.has_due,
            description="Publish the slots whose time has come (only with willPublish).",
        ),
        "recover-overdue": Command(
            "scheduled",
            RECOVER,
            1,
            default_cron="*/5 * * * *",
            probe=recovery.has_overdue,
            description="Move ready and failed posts that missed their window to empty slots.",
        ),
    },
    config_change_triggers=(ConfigTrigger("refresh-schedule", TRIGGER_KEYS),),
    validate=binding.check_config,
)

TEMPLATES = [TEMPLATE]
