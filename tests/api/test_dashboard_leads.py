"""The dashboard as sales uses it, through the closed loop on SQLite and PostgreSQL: a lead
that qualified from what it read is listed with its owner and reasons, and its page shows
the reading history, the rule's sentences and the lifecycle."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from loop_helpers import MIA, RITA, SAM, download, glance, running_loop

if TYPE_CHECKING:
    from conftest import StoreHandle

FORM = {"content-type": "application/x-www-form-urlencoded"}


def test_a_handed_over_lead_shows_why_it_qualified_and_what_it_read(store: StoreHandle) -> None:
    with running_loop(store) as loop:
        ana = loop.person("Ana <b>Silva</b>")  # markup in a name must stay text
        loop.send(glance(ana))
        loop.send(download(ana))
        loop.receiver.wait_for(lambda r: len(r.delivered()) >= 1, timeout=10)
        contact = loop.contact_id("Ana <b>Silva</b>")
        admin = loop.container.workspaces.create_key(loop.workspace_id, scope="admin")
        signed = loop.api.post("/dashboard/login", content=f"key={admin}", headers=FORM)
        assert signed.status_code == 303
        loop.api.client.cookies.clear()  # each request below says whether it is signed in
        cookies = {"cookie": f"leadloop_admin={admin}"}

        page = loop.api.request("GET", "/dashboard", headers=cookies).text
        handed = re.search(r'id="handed".*?</section>', page, re.S)
        assert handed is not None
        assert f'href="/dashboard/leads/{contact}"' in handed.group(0)
        assert "Ana &lt;b&gt;Silva&lt;/b&gt;" in handed.group(0) and "<b>Silva" not in page
        assert "Rita" in handed.group(0) and 'class="hot"' in handed.group(0)
        assert "Consumed hot content: Network coverage map (map-1)." in handed.group(0)
        assert re.search(r'data-state="sales_ready">1<', page)
        assert re.search(r'data-kpi="handed">1<', page)
        sla = re.search(r'id="sla".*?</section>', page, re.S)
        assert sla is not None and RITA in sla.group(0)

        lead = loop.api.request("GET", f"/dashboard/leads/{contact}", headers=cookies)
        assert lead.status_code == 200
        text = lead.text
        reading = re.findall(r"<td>([a-z ]+)</td><td><a href=\"([^\"]+)\"[^>]*>([^<]+)</a>", text)
        assert reading == [
            ("downloaded", "https://x.example/map", "Network coverage map"),
            ("glance", "https://x.example/vb", "The SD-WAN video book"),
        ]
        assert "Buying stage is purchase, at or past consideration." in text
        assert 'data-state="sales_ready"' in text and "a***@acme-logistics.example" in text
        steps = re.findall(r"<td>(\w+|·) → (\w+)</td>", text)
        assert steps[-1] == ("engaged", "sales_ready")

        assert (
            loop.api.request("GET", "/dashboard/leads/99999999", headers=cookies).status_code == 404
        )
        assert loop.api.request("GET", f"/dashboard/leads/{contact}").status_code == 303


def test_a_lead_of_another_workspace_is_not_shown(store: StoreHandle) -> None:
    with running_loop(store) as loop:
        bo = loop.person("Bo Berg")
        loop.send(download(bo))
        loop.settle()
        contact = loop.contact_id("Bo Berg")
        other = loop.container.workspaces.create_workspace("elsewhere")
        key = loop.container.workspaces.create_key(other, scope="admin")
        cookies = {"cookie": f"leadloop_admin={key}"}
        response = loop.api.request("GET", f"/dashboard/leads/{contact}", headers=cookies)
        assert response.status_code == 404
        page = loop.api.request("GET", "/dashboard", headers=cookies).text
        assert "Bo Berg" not in page


def test_sales_acts_on_a_lead_from_its_page(store: StoreHandle) -> None:
    with running_loop(store) as loop:
        ana = loop.person("Ana Silva")
        loop.send(download(ana))
        loop.receiver.wait_for(lambda r: len(r.delivered()) >= 1, timeout=10)
        contact = loop.contact_id("Ana Silva")
        admin = loop.container.workspaces.create_key(loop.workspace_id, scope="admin")
        loop.api.client.cookies.clear()
        signed = {"cookie": f"leadloop_admin={admin}"}
        page = f"/dashboard/leads/{contact}"
        act = f"{page}/act"

        text = loop.api.request("GET", page, headers=signed).text
        buttons = re.findall(r'<button type="submit" name="action" value="(\w+)">', text)
        assert buttons == ["accept", "reject"]  # what sales_ready allows, nothing else

        # Not signed in: to the sign-in page, nothing changes.
        assert loop.api.post(act, content="action=accept&user=x", headers=FORM).status_code == 303
        # Another site's form: refused even with the cookie.
        foreign = {**FORM, **signed, "origin": "https://evil.example"}
        assert loop.api.post(act, content="action=accept", headers=foreign).status_code == 403
        # A marketing user may not accept; an unknown action is named as such.
        own = {**FORM, **signed, "origin": "http://leadloop.test"}
        denied = loop.api.post(act, content=f"action=accept&user={MIA}", headers=own)
        assert denied.status_code == 403 and "marketing role" in denied.text
        assert loop.container.leads.show(loop.workspace_id, contact).state == "sales_ready"
        # Rejecting needs a configured reason.
        bad = loop.api.post(act, content=f"action=reject&user={SAM}&reason=meh", headers=own)
        assert bad.status_code == 422 and "configured list" in bad.text

        done = loop.api.post(act, content=f"action=accept&user={SAM}", headers=own)
        assert done.status_code == 303
        assert done.headers["location"] == f"{page}?done=accept&changed=1"
        after = loop.api.request("GET", done.headers["location"], headers=signed).text
        assert 'data-state="accepted"' in after and "accept: done" in after
        assert re.findall(r"<td>(\w+|·) → (\w+)</td>", after)[-1] == ("sales_ready", "accepted")
        assert f"user {SAM}" in after
        assert re.findall(r'name="action" value="(\w+)"', after) == ["convert", "recycle"]

        again = loop.api.post(act, content=f"action=accept&user={SAM}", headers=own)
        assert again.headers["location"] == f"{page}?done=accept&changed=0"
        illegal = loop.api.post(act, content=f"action=won&user={SAM}", headers=own)
        assert illegal.status_code == 409 and "cannot go from accepted to won" in illegal.text
        history = loop.container.leads.show(loop.workspace_id, contact).history
        assert [t.to_state for t in history].count("accepted") == 1
