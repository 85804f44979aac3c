"""The e-mail an invitation sends (in the language the admin chose; plain text and HTML, alerts/mail.py), for
the API, the desk's Team page and the operator console."""

from __future__ import annotations

from email.message import EmailMessage

from newsbridge.accounts.team import Invitation
from newsbridge.alerts.mail import Link, SmtpMailer, compose
from newsbridge.config import Settings
from newsbridge.web.i18n import gettext_for


def invitation_mail(settings: Settings, invitation: Invitation, organization: str, link: str,
                    locale: str) -> EmailMessage:
    _ = gettext_for(locale)
    text = _("%(org)s invites you to its news exchange desk on Newsbridge. Open this link within 7 days "
             "to choose your password; it works once:", org=organization)
    return compose(sender=settings.mail_from, to=invitation.email, locale=locale,
                   subject=_("You are invited to %(org)s on Newsbridge", org=organization),
                   blocks=[[text], [Link(link)]])


def send_invitation(settings: Settings, invitation: Invitation, organization: str, link: str, locale: str) -> bool:
    """Mail the invitation through NEWSBRIDGE_SMTP_URL; False when no mail server is configured (the
    caller shows the link instead)."""
    if not settings.smtp_url:
        return False
    SmtpMailer.from_url(settings.smtp_url).send(invitation_mail(settings, invitation, organization, link, locale))
    return True
