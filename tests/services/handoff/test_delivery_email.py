"""E-mail over SMTP to a real aiosmtpd server, rendered from the shipped Jinja2 template."""

from __future__ import annotations

from desk_helpers import Desk


def test_the_owner_gets_an_email_with_reading_history_stage_interests_and_reasons(
    desk: Desk,
) -> None:
    desk.rep("rita@sales.example")
    request = desk.lead("Ana Silva", hot=True)
    desk.hand_off(request)
    desk.drain(lambda: desk.smtp.messages_to("rita@sales.example"))
    [message] = desk.smtp.messages_to("rita@sales.example")
    assert message["Subject"] == "Hot sales-ready lead: Ana Silva (Acme Logistics)"
    assert message["Leadloop-Delivery-Id"] == desk.emails()[0].delivery_id
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    for body in (text, html):
        assert "Video book: why branch networks fail" in body
        assert "Network coverage map EMEA" in body
        assert "https://acme-telco.example/coverage-map" in body
        assert "consideration" in body
        assert "network security" in body
        assert "Downloaded the hot asset" in body
        assert f"/dashboard/leads/{request.contact_id}" in body  # the default link
    assert "2026-11-21 14:05  downloaded  Network coverage map EMEA" in text
    assert "ana.silva" not in text  # only the masked address
    assert [i.status for i in desk.emails()] == ["delivered"]


def test_html_in_lead_data_is_escaped(desk: Desk) -> None:
    desk.rep("rita@sales.example")
    desk.hand_off(desk.lead("<script>alert(1)</script>"))
    desk.drain(lambda: desk.smtp.messages_to("rita@sales.example"))
    [message] = desk.smtp.messages_to("rita@sales.example")
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_smtp_down_is_retried_then_delivered(desk: Desk) -> None:
    desk.rep("rita@sales.example")
    desk.smtp.stop()
    desk.hand_off(desk.lead())
    worker = desk.worker()
    desk.drain(lambda: desk.emails()[0].attempts == 1, worker=worker)
    [mail] = desk.emails()
    assert mail.status == "pending" and mail.attempts == 1
    desk.smtp.restart()
    desk.drain(lambda: desk.smtp.messages_to("rita@sales.example"), worker=worker)
    assert len(desk.smtp.messages_to("rita@sales.example")) == 1
