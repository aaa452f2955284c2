"""The live area's stream views (blueprint ``live``): the per-bid Server-Sent Events stream and its polling
fallback (``routes``, ``stream``), and the HTML fragments and chart geometry they carry (``render``,
``charts``). What each viewer may see comes from app.services.snapshots; the wake-ups between workers from
app.infra.broker.
"""
