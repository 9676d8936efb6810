"""Business rules with I/O through the models. No Flask here: workers and the CLI reuse them.

One package per feature, so a reader finds a feature in one place. A package's __init__ holds
no code: importing one module of a feature must not import the rest of it (the clip cutter
needs footage.canvass, not the password hashing of people.accounts).

    auditing/    audit (the hash-chained log), review (auditors' reads), checkpoints,
                 event_checks, anomalies, activity (each reader's view), notices, receipts
    cameras/     registry (register, edit, search), photos, bridges (pairing an owner's bridge)
    footage/     canvass (a request's life: asked, approved, answered), uploads, bridge_clips,
                 missing (gaps an owner can still fill), legal_holds
    governance/  policy (the program's rules), program (its public page), transparency and
                 transparency_counts (its published figures)
    maps/        basemap (the program's own map and streets), geocoding (address search)
    people/      accounts (log-in, invitations, MFA, roles), sessions, mfa, signups, resets,
                 single_use (the tokens behind emailed links and codes), throttle, orgs,
                 leaving (an owner leaves the program)
    realtime/    live (an owner's live share), police (the share as police see it), video,
                 field (CAD/AVL layers)
    clock, mail, push   shared by every feature
"""
