"""A layer's config form in the console: a bad value explained in words next to its field with
what the person typed kept, switching distribution mode clears the fields that no longer
apply, the install dialog does the same, and the header follows an install without a reload."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from starlette.datastructures import FormData

from layers.console import forms
from layers.engine.catalog import registry
from layers.kit.db import get_database
from layers.models.engine import ProjectLayer
from tests.catalog.social_distribution.helpers import install_layer
from tests.console.helpers import browser, follow, post, sign_in
from tests.engine.helpers import install
from tests.support import ACME, Tenant, new_social_account

SD = "social-distribution"


def _setup(client: TestClient, tenant: Tenant) -> tuple[str, str, dict[str, Any]]:
    headers = tenant.headers(test=True)
    project_id = client.post("/v1/projects", json=ACME, headers=headers).json()["id"]
    account_id = new_social_account(project_id, handle="acme.forms")
    layer = install_layer(
        client,
        tenant,
        project_id,
        account_id,
        distributionMode="custom",
        schedule={"times": ["09:00", "18:00"]},
    )
    return project_id, account_id, layer


def _form(account_id: str, **values: str) -> dict[str, str]:
    return {
        "cfg.social.socialAccountId": account_id,
        "cfg.distributionMode": "custom",
        "cfg.postsPerDay": "",
        "cfg.schedule.times": "09:00, 18:00",
        "cfg.generationMode": "manual",
        "cfg.willPublish": "false",
        "cfg.contentLayerSourceIds": "",
        **values,
    }


def test_a_bad_value_is_explained_in_words_and_what_was_typed_is_kept(
    client: TestClient, app: Any, tenant: Tenant
) -> None:
    _, account_id, layer = _setup(client, tenant)
    web = browser(app)
    csrf = sign_in(web, tenant.test)
    url = f"/console/layers/{layer['id']}/config"
    refused = post(web, url, csrf, **_form(account_id, **{"cfg.schedule.times": "09:00, 25:00"}))
    assert refused.status_code == 422
    assert "“25:00” is not a 24-hour time such as 09:30 or 18:45" in refused.text
    assert "does not match" not in refused.text and "[0-5]" not in refused.text
    assert 'value="09:00, 25:00"' in refused.text  # kept as typed
    version = client.get(f"/v1/layers/{layer['id']}", headers=tenant.headers(test=True)).json()
    assert version["configVersion"] == 1 and version["config"]["schedule"]["times"] == [
        "09:00",
        "18:00",
    ]
    # The template's own rule (postsPerDay equals the number of times in custom mode).
    mismatch = post(web, url, csrf, **_form(account_id, **{"cfg.postsPerDay": "3"}))
    assert mismatch.status_code == 422
    assert "equals the number of schedule.times in custom mode (2)" in mismatch.text
    assert 'name="cfg.postsPerDay" value="3"' in mismatch.text
    # JSON editor: the typed JSON is kept, the refusal in words.
    typed = '{"distributionMode": "sometimes"}'
    bad_json = post(web, f"/console/layers/{layer['id']}/config-json", csrf, configJson=typed)
    assert bad_json.status_code == 422
    assert "must be one of: automatic, custom, manual" in bad_json.text
    assert "data-autoopen" in bad_json.text and "sometimes" in bad_json.text


def test_switching_distribution_mode_clears_the_fields_that_no_longer_apply(
    client: TestClient, app: Any, tenant: Tenant
) -> None:
    _, account_id, layer = _setup(client, tenant)
    web = browser(app)
    csrf = sign_in(web, tenant.test)
    page = web.get(f"/console/layers/{layer['id']}?tab=config").text
    assert "data-applies-when=" in page and "cfg.distributionMode" in page
    # The browser would not send the hidden field; a stale value is dropped all the same.
    saved = post(
        web,
        f"/console/layers/{layer['id']}/config",
        csrf,
        **_form(account_id, **{"cfg.distributionMode": "automatic"}),
    )
    assert saved.status_code == 303, saved.text
    assert "Cleared schedule.times: it no longer applies." in follow(web, saved).text
    config = client.get(f"/v1/layers/{layer['id']}", headers=tenant.headers(test=True)).json()
    assert config["config"]["distributionMode"] == "automatic"
    assert "times" not in (config["config"].get("schedule") or {})


def test_the_install_dialog_keeps_what_was_typed(
    client: TestClient, app: Any, tenant: Tenant
) -> None:
    headers = tenant.headers(test=True)
    project_id = client.post("/v1/projects", json=ACME, headers=headers).json()["id"]
    account_id = new_social_account(project_id, handle="acme.install")
    web = browser(app)
    csrf = sign_in(web, tenant.test)
    refused = post(
        web,
        f"/console/projects/{project_id}/layers",
        csrf,
        templateId=SD,
        mode="form",
        **_form(account_id, **{"cfg.schedule.times": ""}),
    )
    assert refused.status_code == 422
    assert "data-autoopen" in refused.text and "Not installed" in refused.text
    assert "is required in custom mode" in refused.text
    assert client.get(f"/v1/projects/{project_id}/layers", headers=headers).json()["items"] == []
    installed = post(
        web,
        f"/console/projects/{project_id}/layers",
        csrf,
        templateId=SD,
        mode="form",
        **_form(account_id),
    )
    assert installed.status_code == 303
    layer_id = installed.headers["location"].split("/")[-1].split("?")[0]
    head = web.get(f"/console/layers/{layer_id}/head").text
    assert 'id="layerhead"' in head and layer_id in head


def test_forms_drop_inapplicable_values_and_explain_in_words() -> None:
    template = registry.get(SD)
    assert template is not None
    schema = template.published_config_schema()
    base = {"distributionMode": "custom", "schedule": {"times": ["09:00"]}}
    form = FormData([("cfg.distributionMode", "manual"), ("cfg.schedule.times", "09:00")])
    parsed = forms.parse(schema, form, "cfg", base)
    assert parsed["distributionMode"] == "manual" and "times" not in parsed.get("schedule", {})
    assert forms.inapplicable(schema, {"schedule": {"times": ["09:00"]}}) == ["schedule.times"]
    words = forms.explain(
        schema, {"postsPerDay": 9, "schedule": {"times": ["9am"]}, "social": {"x": 1}}
    )
    assert words["postsPerDay"] == "must be at most 5"
    assert words["schedule.times"] == "“9am” is not a 24-hour time such as 09:30 or 18:45"
    assert words["social"] == "has a field this template does not know"


def test_layer_references_are_ticked_from_a_list_not_typed(
    client: TestClient, app: Any, tenant: Tenant
) -> None:
    project_id, account_id, layer = _setup(client, tenant)
    other = install(client, tenant.headers(test=True), project_id)  # a test-pipeline layer
    web = browser(app)
    csrf = sign_in(web, tenant.test)
    page = web.get(f"/console/layers/{layer['id']}?tab=config").text
    assert f'type="checkbox" name="cfg.contentLayerSourceIds" value="{other["id"]}"' in page
    assert f'value="{layer["id"]}"' not in page.split("cfg.contentLayerSourceIds", 1)[1][:2000]
    form: dict[str, Any] = {**_form(account_id), "csrf": csrf}
    form["cfg.contentLayerSourceIds"] = ["", other["id"]]  # the hidden marker and the ticked box
    saved = web.post(f"/console/layers/{layer['id']}/config", data=form)
    assert saved.status_code == 303, saved.text
    body = client.get(f"/v1/layers/{layer['id']}", headers=tenant.headers(test=True)).json()
    assert body["config"]["contentLayerSourceIds"] == [other["id"]]


def test_commands_run_only_on_an_active_layer_and_the_tab_follows_the_install(
    client: TestClient, app: Any, tenant: Tenant
) -> None:
    headers = tenant.headers(test=True)
    project_id = client.post("/v1/projects", json=ACME, headers=headers).json()["id"]
    layer_id = install(client, headers, project_id)["id"]
    web = browser(app)
    csrf = sign_in(web, tenant.test)
    commands = f"/console/layers/{layer_id}?tab=commands"
    head = f"/console/layers/{layer_id}/head"
    assert 'data-open="run-crunch"' in web.get(commands).text

    # While it installs, the Run buttons are disabled until the head reports the install done.
    with get_database().transaction() as session:
        found = session.get(ProjectLayer, layer_id)
        assert found is not None
        found.status = "installing"
    page = web.get(commands).text
    assert 'data-open="run-crunch"' not in page
    assert "The layer is installing: its commands run once it is active." in page
    assert 'hx-trigger="layer-installed from:body"' in page
    assert "HX-Trigger" not in web.get(head, headers={"HX-Request": "true"}).headers

    # The first poll that finds it installed says so; a plain GET of the head does not.
    with get_database().transaction() as session:
        found = session.get(ProjectLayer, layer_id)
        assert found is not None
        found.status = "active"
    assert web.get(head, headers={"HX-Request": "true"}).headers["HX-Trigger"] == "layer-installed"
    assert "HX-Trigger" not in web.get(head).headers
    page = web.get(commands).text
    assert 'data-open="run-crunch"' in page and "layer-installed" not in page

    # A paused layer's commands wait for Resume.
    paused = post(web, f"/console/layers/{layer_id}/pause", csrf)
    assert paused.status_code == 303
    page = web.get(commands).text
    assert 'data-open="run-crunch"' not in page and "The layer is paused" in page
