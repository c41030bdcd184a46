"""Message IDs of the console's refusals and banners, in one place so that pages and tests agree."""

from __future__ import annotations

from linemod.framework.i18n import N_

ERRORS = {
    "bad_email": N_("Enter a valid email address."),
    "weak_password": N_("Use a password of at least 8 characters."),
    "long_password": N_("The password is too long."),
    "bad_credentials": N_("The email address or the password is wrong."),
    "rate_limited": N_("Too many failed attempts. Wait a few minutes, then try again."),
    "unverified": N_("Verify your email address first: open the link we sent you."),
    "bad_current_password": N_("The current password is wrong."),
    "email_taken": N_("This email address already has an account. Sign in instead."),
    "last_owner": N_("An OA needs at least one owner."),
    "bad_role": N_("Choose a role."),
    "already_member": N_("This person is already on the team."),
    "invitation_invalid": N_("This invitation was already used, was withdrawn or has expired."),
    "wrong_account": N_("This invitation was sent to another email address. Sign in with that address."),
    "link_invalid": N_("This link was already used or has expired."),
}

SIGNED_OUT = N_("You are signed out.")
PASSWORD_CHANGED = N_("Your password was changed. Every other browser was signed out.")
INVITED = N_("The invitation was sent.")
MEMBER_REMOVED = N_("The member was removed from the team.")
INVITATION_WITHDRAWN = N_("The invitation was withdrawn.")
JOINED = N_("You joined the team of this OA.")
SETTINGS_SAVED = N_("The settings were saved.")
REPLAYED = N_("The dead letters were put back in the queue.")
DETACHED = N_("The module was detached from the OA.")
RECONCILED = N_("The tenant list was reconciled with LINE.")
BAD_DAY = N_(
    "“%(value)s” is not a date this page can show. Write a date as YYYY-MM-DD, from %(earliest)s to %(latest)s."
)


def error_message(code: str) -> str:
    return ERRORS.get(code, N_("Something went wrong. Try again."))
