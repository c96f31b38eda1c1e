"""Sentences on the case records kept beside the crimes: Stalking Protection Orders and audits.

Like the rest of the narrative, every sentence is built from the profile's own tables and quotes
only figures shown there; a sentence whose figure is missing is left out. The SPO sentences set
the store's orders in force beside the force's published baseline, when its configuration has one
(``[spo_baseline]`` in the force file).
"""

from __future__ import annotations

import datetime as dt

from stalking_profile.force import SpoBaseline
from stalking_profile.metrics.periods import Period
from stalking_profile.reporting.phrases import Row, count, during, figure, join, long_date, number, percent

__all__ = ["audit_sentences", "spo_sentences", "spo_trend_sentence"]


def _were(n: int) -> str:
    return "was" if n == 1 else "were"


def _orders_in_force(n: int, per_1000: float | None, end: str) -> str:
    sentence = f"On {end}, {count(n, 'Stalking Protection Order')} {_were(n)} in force"
    return sentence + (f": {per_1000:,.2f} per 1,000 stalking crimes a year." if per_1000 is not None else ".")


def spo_sentences(force: Row | None, trend: list[Row], period: Period, baseline: SpoBaseline | None) -> list[str]:
    """Orders in force (and the baseline beside them), the window's enquiries and orders, how long
    a full order took, and the trend in enquiries; from the SPO table's ``Force`` row and the
    ``spo_trend`` rows.

    Examples
    --------
    >>> row = {"district": "Force", "enquiries": 12, "full_orders": 1, "in_force_at_end": 3,
    ...        "in_force_per_1000": 0.46, "median_days_to_full": 130.0, "q1_days_to_full": 130.0,
    ...        "q3_days_to_full": 130.0}
    >>> window = Period(dt.date(2020, 10, 1), dt.date(2021, 9, 30))
    >>> for s in spo_sentences(row, [], window, SpoBaseline(3, 6600, "2022", "X")):
    ...     print(s)
    On 30 September 2021, 3 Stalking Protection Orders were in force: 0.46 per 1,000 stalking crimes a year.
    The published baseline (X, 2022): 3 orders in force from about 6,600 stalking crimes a year, 0.45 per 1,000.
    In the 12 months to September 2021, 12 enquiries went to Legal Services and 1 full order was granted.
    The full order took 130 days from the enquiry.
    """
    if force is None:
        return []
    sentences = []
    in_force = figure(force, "in_force_at_end")
    if in_force is not None:
        sentences.append(_orders_in_force(int(in_force), figure(force, "in_force_per_1000"),
                                          long_date(period.end)))
    if baseline is not None:
        published = count(baseline.orders_in_force, "order")
        sentences.append(f"The published baseline ({baseline.source}, {baseline.as_of}): {published} in force from "
                         f"about {number(baseline.stalking_crimes_per_year)} stalking crimes a year, "
                         f"{baseline.per_1000:,.2f} per 1,000.")
    enquiries, orders = figure(force, "enquiries"), figure(force, "full_orders")
    if enquiries is not None and orders is not None:
        when = during(period)
        sentences.append(f"{when[0].upper()}{when[1:]}, {count(int(enquiries), 'enquiry', 'enquiries')} went to "
                         f"Legal Services and {count(int(orders), 'full order')} {_were(int(orders))} granted.")
    median, q1, q3 = (figure(force, c) for c in ("median_days_to_full", "q1_days_to_full", "q3_days_to_full"))
    if median is not None and orders:
        if orders == 1:
            sentences.append(f"The full order took {median:,.0f} days from the enquiry.")
        else:
            spread = f" (quartiles {q1:,.0f} and {q3:,.0f})" if q1 is not None and q3 is not None else ""
            sentences.append(f"A full order took a median of {median:,.0f} days from the enquiry{spread}.")
    said = spo_trend_sentence(trend)
    return sentences + ([said] if said else [])


def spo_trend_sentence(rows: list[Row]) -> str | None:
    """How enquiries to Legal Services moved from the first quarter of the trend rows to the last
    (a last quarter cut short by the window's end says so).

    Examples
    --------
    >>> rows = [{"quarter": "2020-Q4", "quarter_end": dt.date(2020, 12, 31), "enquiries": 2},
    ...         {"quarter": "2021-Q3", "quarter_end": dt.date(2021, 9, 30), "enquiries": 9}]
    >>> spo_trend_sentence(rows)
    'Enquiries to Legal Services rose from 2 in 2020-Q4 to 9 in 2021-Q3.'
    >>> rows[-1].update(quarter_end=dt.date(2021, 8, 31), enquiries=2)
    >>> spo_trend_sentence(rows)
    'Enquiries to Legal Services stood at 2 in 2020-Q4 and in 2021-Q3 (to 31 August 2021).'
    """
    if len(rows) < 2:
        return None
    first, last = rows[0], rows[-1]
    a, b = figure(first, "enquiries"), figure(last, "enquiries")
    if a is None or b is None:
        return None
    end = last["quarter_end"]
    whole = end.month % 3 == 0 and (end + dt.timedelta(days=1)).day == 1
    partial = "" if whole else f" (to {long_date(end)})"
    subject = "Enquiries to Legal Services"
    if a == b:
        return f"{subject} stood at {a:,.0f} in {first['quarter']} and in {last['quarter']}{partial}."
    verb = "rose" if b > a else "fell"
    return f"{subject} {verb} from {a:,.0f} in {first['quarter']} to {b:,.0f} in {last['quarter']}{partial}."


def audit_sentences(samples: list[Row], compliance: list[Row], districts: int | None = None) -> list[str]:
    """How many crimes the audits reviewed and where, the item met least often, and the widest gap
    between domestic and non-domestic crimes; from ``audit_samples`` and the ``audits`` table's
    Force rows (``question`` names the item). When fewer than the force's ``districts`` were
    audited, the first sentence says the force figures cover those only.

    Examples
    --------
    >>> samples = [{"audit_id": 5, "district": "BD", "audited": 7}, {"audit_id": 5, "district": "BD", "audited": 8}]
    >>> rows = [{"district": "Force", "domestic": d, "question": q, "rate_pct": r, "answered": n}
    ...         for d, q, r, n in (("All", "A DASH form", 52.0, 15), ("All", "Supervisor review", 80.0, 15),
    ...                            ("Domestic", "A DASH form", 85.7, 7), ("Non-Domestic", "A DASH form", 25.0, 8))]
    >>> for s in audit_sentences(samples, rows):
    ...     print(s)
    The dip-sample audit reviewed 15 crimes in 1 sample (BD).
    The item met least often was "A DASH form" (52.0%, weighted to the crimes the samples stand for).
    The widest gap between domestic and non-domestic crimes was on "A DASH form": 85.7% against 25.0%.
    """
    reviewed: dict[int, int] = {}
    for r in samples:
        reviewed[r["audit_id"]] = reviewed.get(r["audit_id"], 0) + int(r["audited"])
    done = [r for r in samples if reviewed[r["audit_id"]]]
    if not done:
        return []
    audited = list(dict.fromkeys(r["district"] for r in done))
    only = (f"; the force figures cover {'this district' if len(audited) == 1 else 'these districts'} only"
            if districts is not None and len(audited) < districts else "")
    sentences = [f"The dip-sample audit reviewed {count(sum(reviewed.values()), 'crime')} in "
                 f"{count(len({r['audit_id'] for r in done}), 'sample')} ({join(audited)}){only}."]
    force = [r for r in compliance if r["district"] == "Force"]
    rated = [r for r in force if r["domestic"] == "All" and figure(r, "rate_pct") is not None]
    if rated:
        low = min(rated, key=lambda r: r["rate_pct"])
        strata = {r["domestic"] for r in force if r["question"] == low["question"] and r["domestic"] != "All"
                  and r.get("answered")}
        weighted = ", weighted to the crimes the samples stand for" if len(strata) > 1 else ""
        sentences.append(f'The item met least often was "{low["question"]}" ({percent(low["rate_pct"])}{weighted}).')
    pairs = []
    for question in dict.fromkeys(r["question"] for r in force):
        rates = {r["domestic"]: figure(r, "rate_pct") for r in force if r["question"] == question}
        a, b = rates.get("Domestic"), rates.get("Non-Domestic")
        if a is not None and b is not None:
            pairs.append((abs(a - b), question, a, b))
    if pairs:
        _, question, a, b = max(pairs, key=lambda p: p[0])  # ties: the first item in checklist order
        sentences.append(f'The widest gap between domestic and non-domestic crimes was on "{question}": '
                         f"{percent(a)} against {percent(b)}.")
    return sentences
