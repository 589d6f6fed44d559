"""Promoting the schedule requests stashed on content while it waited for review.

`content.review.approve` calls `promote` (plugged in by the composition root: content cannot
import publishing). Each stashed request is checked again and written as ordinary scheduled
posts, in a savepoint of its own: a request that no longer holds (its account was
disconnected meanwhile) rolls back alone and is reported, and the approval stands. A request
whose time has passed while it waited is published at the next dispatch ("flipping approval
later will still publish, but at that later time").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from layers.content.review.service import Promotion
from layers.kit import clock
from layers.kit.errors import LayersError
from layers.models.content import ContentContainer
from layers.models.projects import Project
from layers.publishing.scheduling.schemas import ScheduleBody
from layers.publishing.scheduling.service import initial_post_status, write_posts


def _when(intent: dict[str, Any]) -> datetime:
    wanted = datetime.fromisoformat(str(intent["scheduledFor"]).replace("Z", "+00:00"))
    return max(wanted, clock.now())


def promote(
    session: Session, container: ContentContainer, stashed: list[dict[str, Any]]
) -> Promotion:
    """Scheduled posts for each stashed request of the just-approved `container`."""
    done = Promotion()
    project = session.get(Project, container.project_id)
    if project is None or project.status != "active":
        done.errors.append({"code": "CONFLICT", "message": "The project is archived."})
        return done
    for index, intent in enumerate(stashed):
        try:
            with session.begin_nested():
                body = ScheduleBody.model_validate(intent["body"])
                result = write_posts(
                    session,
                    project,
                    container,
                    body.targets,
                    _when(intent),
                    initial_post_status(container),
                )
        except LayersError as exc:
            done.errors.append({"request": index, "code": exc.code, "message": exc.message})
            continue
        except (ValidationError, KeyError, ValueError) as exc:
            done.errors.append({"request": index, "code": "VALIDATION", "message": str(exc)})
            continue
        done.scheduled_post_ids.extend(result.scheduled_post_ids)
    return done
