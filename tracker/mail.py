"""A small SMTP sender (smtplib) configured by the MAIL_* settings.

No Flask import: the settings arrive as a mapping (``app.config`` works), so the CLI,
tests and any future worker share it.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid


@dataclass(frozen=True)
class MailSettings:
    server: str = "localhost"
    port: int = 25
    username: str | None = None
    password: str | None = None
    use_tls: bool = False
    use_ssl: bool = False
    sender: str = "tracker@localhost"
    timeout: float = 30.0

    @classmethod
    def from_config(cls, config: Mapping) -> MailSettings:
        return cls(
            server=config.get("MAIL_SERVER", "localhost"),
            port=int(config.get("MAIL_PORT", 25)),
            username=config.get("MAIL_USERNAME") or None,
            password=config.get("MAIL_PASSWORD") or None,
            use_tls=bool(config.get("MAIL_USE_TLS", False)),
            use_ssl=bool(config.get("MAIL_USE_SSL", False)),
            sender=config.get("MAIL_DEFAULT_SENDER", "tracker@localhost"),
            timeout=float(config.get("MAIL_TIMEOUT", 30)),
        )


def build_message(to: str, subject: str, text: str, html: str | None, sender: str, to_name: str = "") -> EmailMessage:
    """A plain-text message with an HTML alternative (multipart/alternative), UTF-8."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = formataddr((to_name, to)) if to_name else to
    msg["Subject"] = subject
    domain = sender.rsplit("@", 1)[-1].strip(">") or None
    msg["Message-ID"] = make_msgid(domain=domain)
    msg.set_content(text, subtype="plain", charset="utf-8")
    if html:
        msg.add_alternative(html, subtype="html", charset="utf-8")
    return msg


class Mailer:
    """One SMTP connection for a batch of messages: ``with Mailer(settings) as m: m.send(msg)``."""

    def __init__(self, settings: MailSettings):
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        s = self.settings
        if s.use_ssl:
            self._smtp = smtplib.SMTP_SSL(s.server, s.port, timeout=s.timeout, context=ssl.create_default_context())
        else:
            self._smtp = smtplib.SMTP(s.server, s.port, timeout=s.timeout)
            if s.use_tls:
                self._smtp.starttls(context=ssl.create_default_context())
        if s.username:
            self._smtp.login(s.username, s.password or "")
        return self

    def send(self, msg: EmailMessage) -> None:
        assert self._smtp is not None, "use Mailer as a context manager"
        self._smtp.send_message(msg)

    def __exit__(self, *exc: object) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except smtplib.SMTPException:
                self._smtp.close()
            self._smtp = None
