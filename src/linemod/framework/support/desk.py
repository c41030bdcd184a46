"""`SupportDesk`: the help desk's services wired together over one database, clock, mailer and settings."""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr

from linemod.framework.accounts.mailer import Mailer
from linemod.framework.clock import Clock
from linemod.framework.i18n import Catalogs
from linemod.framework.settings import Settings
from linemod.framework.storage.database import Database
from linemod.framework.support.attachments import AttachmentLimits
from linemod.framework.support.automations import AutomationRules, Automations
from linemod.framework.support.canned_replies import CannedReplies
from linemod.framework.support.mail_in import ImapAccount, MailIntake
from linemod.framework.support.mail_out import SupportMailer
from linemod.framework.support.sla import SlaPolicies
from linemod.framework.support.tickets import TicketService


@dataclass
class SupportDesk:
    tickets: TicketService
    mail_out: SupportMailer
    mail_in: MailIntake
    automations: Automations
    canned: CannedReplies

    @classmethod
    def build(
        cls,
        settings: Settings,
        db: Database,
        clock: Clock,
        mailer: Mailer,
        catalogs: Catalogs | None = None,
        *,
        policies: SlaPolicies | None = None,
        imap: ImapAccount | None = None,
    ) -> SupportDesk:
        """Everything from the settings (`imap` replaces the mailbox they name, e.g. in tests)."""
        own_address = parseaddr(settings.support_from)[1].lower()
        mail_out = SupportMailer(db, clock, settings, mailer, catalogs or Catalogs())
        tickets = TicketService(
            db,
            clock,
            policies,
            limits=AttachmentLimits(
                max_bytes=settings.support_attachment_max_bytes,
                content_types=frozenset(settings.support_attachment_types),
            ),
            notifier=mail_out,
            mail_domain=own_address.rsplit("@", 1)[-1] or "localhost",
            requested_scopes=settings.requested_scopes,
        )
        rules = AutomationRules(
            remind_after_days=settings.support_pending_reminder_days,
            solve_after_days=settings.support_auto_solve_days,
            close_after_days=settings.support_auto_close_days,
        )
        return cls(
            tickets=tickets,
            mail_out=mail_out,
            mail_in=MailIntake(tickets, imap or ImapAccount.from_settings(settings), own_address),
            automations=Automations(tickets, mail_out, rules),
            canned=CannedReplies(db, clock),
        )
