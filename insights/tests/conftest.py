"""A hand-checked book of buyers; "now" is the suite's pinned instant, Wed 18 Nov 2026 11:30 IST.

| buyer | seller | what happened                                                           |
| A     | Sam    | Negotiation calls 1, 10, 15 Oct (sentiment 0.6, 0.2, -0.2; a price      |
|       |        | objection on 1 Oct, Star Health on 15 Oct); "Send revised quote" due    |
|       |        | 10 Nov 18:00 (7 days overdue); 3 unanswered outgoing calls 5, 8, 12 Nov |
| B     | Sam    | one Negotiation call 16 Nov with no price talk; an action due tomorrow  |
| C     | Tara   | won on 1 Sep, nothing pending                                           |
| D     | Bea    | another agency's buyer with an overdue action                           |

Expected, worked out by hand:
- A scores 127 = overdue 30 + 2*7 + stage 20 + cadence 30 (34 days, capped) + 3 calls * 5
  + 1 objection * 5 + falling sentiment 10 + lifecycle lead 3. Its warnings: overdue_action
  (10 Nov 18:00), ghosted (12 Nov), no_activity (14 Nov 10:00 = 15 Oct + 30 days), stalled
  (15 Nov 10:00 = 1 Oct + 45), competitor_mentioned (15 Oct), negative_trend (15 Oct); not
  pricing_not_discussed (1 Oct talked price).
- B scores 43 = due soon 20 + stage 20 + lead 3; warning pricing_not_discussed (16 Nov).
- C scores 0 and has no warning: a won deal is not chased.
"""

from dataclasses import dataclass

import pytest

from calls.models import AppCallStatus
from meetings.tests.factories import ist, make_action, make_app_call, make_buyer, make_meeting

NEGOTIATION = "Negotiation / Approval"


def stage(name: str, signal: str = "") -> dict:
    return {"deal_stage": name, "stage_signals": [signal] if signal else [], "stage_reasoning": []}


def sentiment(value: float) -> dict:
    return {"sentiment": {"overall": value, "label": "neutral"}}


@dataclass
class Book:
    a: object
    b: object
    c: object
    d: object
    a_meetings: list
    a_overdue: object
    a_calls: list
    b_meeting: object
    b_action: object
    tara: object
    bea: object


@pytest.fixture
def book(agency, other_agency, seller, manager, make_seller) -> Book:
    tara = make_seller(agency, name="Tara Rao", manager=manager)
    bea = make_seller(other_agency, name="Bea Other")
    a = make_buyer(agency, name="Arjun")
    a_meetings = [
        make_meeting(
            seller,
            buyer=a,
            start=ist(2026, 10, 1, 10),
            deal_stage=stage(NEGOTIATION, "Let us talk about the final premium"),
            risks=[{"risk": "price", "risk_signal": "That is too expensive", "risk_reasoning": ""}],
            analysis_extras=sentiment(0.6),
        ),
        make_meeting(
            seller,
            buyer=a,
            start=ist(2026, 10, 10, 10),
            deal_stage=stage(NEGOTIATION),
            analysis_extras=sentiment(0.2),
        ),
        make_meeting(
            seller,
            buyer=a,
            start=ist(2026, 10, 15, 10),
            deal_stage=stage(NEGOTIATION),
            risks=[
                {
                    "risk": "competitor",
                    "risk_signal": "Star Health quoted less",
                    "risk_reasoning": "",
                }
            ],
            analysis_extras={**sentiment(-0.2), "competitors": ["Star Health"]},
        ),
    ]
    a_overdue = make_action(
        a_meetings[-1], title="Send revised quote", due_date=ist(2026, 11, 10, 18)
    )
    a_calls = [
        make_app_call(
            seller,
            buyer_number=a.phone,
            start=ist(2026, 11, day, 12),
            seconds=0,
            status=AppCallStatus.NOT_ANSWERED,
        )
        for day in (5, 8, 12)
    ]
    b = make_buyer(agency, name="Bina")
    b_meeting = make_meeting(
        seller,
        buyer=b,
        start=ist(2026, 11, 16, 15),
        deal_stage=stage(NEGOTIATION, "We are ready to sign if the paperwork is simple"),
        transcription=[
            {
                "speaker": "A",
                "role": "buyer",
                "text": "Please send the forms.",
                "start": 0,
                "end": 2,
            }
        ],
        analysis_extras=sentiment(0.5),
    )
    b_action = make_action(b_meeting, title="Send the forms", due_date=ist(2026, 11, 19, 18))
    c = make_buyer(agency, name="Chitra")
    make_meeting(tara, buyer=c, start=ist(2026, 9, 1, 10), deal_stage=stage("Likely Won"))
    d = make_buyer(other_agency, name="Dev")
    d_meeting = make_meeting(
        bea, buyer=d, start=ist(2026, 11, 1, 10), deal_stage=stage(NEGOTIATION)
    )
    make_action(d_meeting, title="Their action", due_date=ist(2026, 11, 2, 18))
    return Book(a, b, c, d, a_meetings, a_overdue, a_calls, b_meeting, b_action, tara, bea)
