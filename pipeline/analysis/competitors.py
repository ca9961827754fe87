"""Competitors named in a call, found without configuration.

A built-in list of real Indian-market brands per industry, plus the agency's own ``competitors``
keyword trackers. The industry comes from the context (``AnalysisContext.industry``), else it is
inferred from the agency's description and catalogue (cue words per industry). Brand names that
are also common words or first names ("Max", "Allen", "Tata", "Star") are only taken when they are
said with a capital letter or next to a word of their kind ("Max Life", "Allen coaching"), or are
in the call's industry list; the agency's own name and catalogue never count.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz

from pipeline.analysis.text import words

# industry key -> (cue words that tell the industry, brands)
# fmt: off
INDUSTRIES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "insurance": (
        (
            "insurance", "insurer", "policy", "premium", "term", "health", "motor", "cover",
            "claim",
        ),
        (
            "LIC", "HDFC Life", "HDFC Ergo", "ICICI Prudential", "ICICI Lombard", "Max Life",
            "Bajaj Allianz", "SBI Life", "SBI General", "Tata AIA", "Tata AIG", "Kotak Life",
            "Star Health", "Care Health", "Niva Bupa", "Max Bupa", "Aditya Birla Health",
            "Aditya Birla Sun Life", "PNB MetLife", "Aegon Life", "Bharti AXA", "Canara HSBC",
            "Reliance General", "Reliance Nippon", "New India Assurance", "United India",
            "Oriental Insurance", "National Insurance", "Go Digit", "Digit", "Acko",
            "ManipalCigna", "Future Generali", "IFFCO Tokio", "Cholamandalam", "Royal Sundaram",
            "Policybazaar", "Shriram Life", "Edelweiss Tokio",
        ),
    ),
    "real estate": (
        (
            "realty", "real", "estate", "flat", "apartment", "bhk", "villa", "plot", "property",
            "tower", "homes", "residency", "builder", "township", "possession",
        ),
        (
            "Godrej Properties", "DLF", "Prestige", "Sobha", "Lodha", "Macrotech", "Oberoi Realty",
            "Brigade", "Puravankara", "Provident", "Mahindra Lifespaces", "Tata Housing",
            "Kolte Patil", "Shapoorji Pallonji", "Hiranandani", "Rustomjee", "Kalpataru",
            "Panchshil", "Kumar Properties", "Paranjape", "VTP Realty", "Gera", "Raheja",
            "K Raheja", "Omaxe", "Ansal", "Supertech", "Mantri", "Embassy", "Adani Realty",
            "Runwal", "Piramal Realty", "Magicbricks", "99acres", "NoBroker", "Housing.com",
        ),
    ),
    "distribution": (
        (
            "distributor", "distributors", "distribution", "fmcg", "wholesale", "stockist",
            "retailer", "cartons", "cases", "dealer", "supply", "kirana", "sku", "margin",
        ),
        (
            "Hindustan Unilever", "HUL", "ITC", "Nestle", "Britannia", "Parle", "Dabur", "Marico",
            "Godrej Consumer", "Emami", "Patanjali", "Amul", "Haldiram", "Haldiram's", "Bikaji",
            "Tata Consumer", "Adani Wilmar", "Fortune", "Reliance Retail", "JioMart", "Udaan",
            "Metro Cash and Carry", "Walmart Best Price", "Best Price", "DMart", "Jumbotail",
            "ElasticRun", "Colgate", "P&G", "Procter and Gamble", "Wipro Consumer", "MTR",
            "Everest", "MDH", "Aashirvaad", "Saffola", "Bisleri", "Mother Dairy", "Dhara",
            "Sundrop", "Gemini", "Nature Fresh", "Tata Sampann", "Catch", "Badshah", "Aachi",
            "Kurkure", "Bingo", "Lay's",
            "Parachute", "Surf Excel", "Tide", "Ariel", "Rin", "Vim", "Lifebuoy",
        ),
    ),
    "autos": (
        (
            "motors", "car", "cars", "automobile", "dealer", "showroom", "suv", "sedan",
            "hatchback", "test", "drive", "variant", "ex-showroom", "mileage", "bike", "scooter",
        ),
        (
            "Maruti", "Maruti Suzuki", "Hyundai", "Tata Motors", "Mahindra", "Kia", "Toyota",
            "Honda", "Skoda", "Volkswagen", "MG Motor", "MG", "Renault", "Nissan", "Citroen",
            "Jeep", "BYD", "Mercedes", "BMW", "Audi", "Hero", "Bajaj Auto", "TVS", "Royal Enfield",
            "Ola Electric", "Ather", "CarDekho", "Cars24", "Spinny", "OLX Autos", "Droom",
        ),
    ),
    "education": (
        (
            "academy", "coaching", "classes", "course", "batch", "jee", "neet", "students",
            "tuition", "institute", "admission", "exam", "education", "school", "faculty",
        ),
        (
            "Byju's", "Byjus", "Allen", "Aakash", "Unacademy", "Physics Wallah", "PhysicsWallah",
            "Vedantu", "FIITJEE", "Resonance", "Motion", "Narayana", "Sri Chaitanya", "Toppr",
            "Extramarks", "upGrad", "Simplilearn", "Great Learning", "Career Launcher", "TIME",
            "Made Easy", "Vidyamandir", "Bansal Classes", "Akash Institute", "Meritnation",
        ),
    ),
    "banking": (
        (
            "loan", "loans", "finserv", "finance", "bank", "emi", "interest", "rate", "credit",
            "mortgage", "sanction", "disbursal", "processing", "tenure", "cibil", "nbfc",
        ),
        (
            "SBI", "State Bank", "HDFC Bank", "HDFC", "ICICI Bank", "ICICI", "Axis Bank",
            "Kotak Mahindra Bank", "Kotak", "Bank of Baroda", "Punjab National Bank", "PNB",
            "Canara Bank", "Union Bank", "IDFC First", "IndusInd", "Yes Bank", "Federal Bank",
            "Bajaj Finance", "Bajaj Finserv", "Tata Capital", "LIC Housing", "PNB Housing",
            "Aditya Birla Capital", "Muthoot", "Manappuram", "Shriram Finance", "L&T Finance",
            "Piramal Finance", "Home First", "Aavas", "Paisabazaar", "BankBazaar", "Lendingkart",
        ),
    ),
    "solar": (
        (
            "solar", "panel", "panels", "rooftop", "inverter", "kilowatt", "kw", "subsidy", "net",
            "metering", "battery", "electricity", "bill", "installation", "energy",
        ),
        (
            "Tata Power Solar", "Tata Power", "Adani Solar", "Waaree", "Vikram Solar",
            "Loom Solar", "Luminous", "Microtek", "Havells", "Exide", "Goldi Solar", "RenewSys",
            "Premier Energies", "Servotech", "UTL Solar", "Su-Kam", "Livguard", "Orb Energy",
            "SunPower", "Fenice", "Solarsquare", "SolarSquare", "Freyr Energy", "Rayzon", "Emmvee",
        ),
    ),
    "telecom": (
        (
            "telecom", "broadband", "fibre", "fiber", "internet", "sim", "postpaid", "mbps",
            "wifi",
        ),
        (
            "Jio", "Airtel", "Vodafone Idea", "Vi", "BSNL", "ACT Fibernet", "Hathway", "Excitel",
            "Tata Play", "You Broadband",
        ),
    ),
    "software": (
        (
            "software", "crm", "saas", "erp", "helpdesk", "subscription", "users", "dashboard",
        ),
        (
            "Zoho", "Freshworks", "Freshdesk", "Salesforce", "HubSpot", "Zendesk", "Tally",
            "LeadSquared", "Pipedrive", "Microsoft Dynamics", "SAP", "Oracle", "Busy",
        ),
    ),
}
# Other names a brand goes by (models, short forms) -> the brand as reported.
ALIASES: dict[str, tuple[str, ...]] = {
    "Maruti Suzuki": ("Maruti",),
    "Maruti Wagon R": ("Wagon R", "WagonR"),
    "Maruti Swift": ("Swift",),
    "Maruti Baleno": ("Baleno",),
    "Maruti Brezza": ("Brezza",),
    "Maruti Ertiga": ("Ertiga",),
    "Maruti Dzire": ("Dzire",),
    "Maruti Alto": ("Alto",),
    "Maruti Fronx": ("Fronx",),
    "Maruti Grand Vitara": ("Grand Vitara",),
    "Hyundai Creta": ("Creta",),
    "Hyundai Venue": (),
    "Hyundai Verna": ("Verna",),
    "Hyundai i20": ("i20",),
    "Hyundai Exter": ("Exter",),
    "Tata Nexon": ("Nexon",),
    "Tata Punch": (),
    "Tata Harrier": ("Harrier",),
    "Tata Safari": (),
    "Tata Tiago": ("Tiago",),
    "Tata Altroz": ("Altroz",),
    "Mahindra XUV700": ("XUV700", "XUV 700"),
    "Mahindra Scorpio": ("Scorpio",),
    "Mahindra Thar": ("Thar",),
    "Mahindra Bolero": ("Bolero",),
    "Toyota Innova": ("Innova", "Innova Crysta", "Innova Hycross"),
    "Toyota Fortuner": ("Fortuner",),
    "Toyota Hyryder": ("Hyryder",),
    "Kia Seltos": ("Seltos",),
    "Kia Sonet": ("Sonet",),
    "Kia Carens": ("Carens",),
    "Godrej Properties": ("Godrej",),
    "Kolte Patil": ("Kolte",),
    "Physics Wallah": ("PhysicsWallah", "PW"),
    "Aakash": ("Akash",),
    "Byju's": ("Byjus", "Byju"),
    "Haldiram's": ("Haldiram", "Haldirams"),
    "Star Health": (),
    "HDFC Life": (),
    "Tata Power Solar": (),
}
# fmt: on
# fmt: off
_INDUSTRY_ALIASES = {
    "fmcg": "distribution", "b2b": "distribution", "automobile": "autos", "auto": "autos",
    "car": "autos", "motor": "autos", "coaching": "education", "edtech": "education",
    "loans": "banking", "lending": "banking", "bank": "banking", "finance": "banking",
    "nbfc": "banking", "home improvement": "solar", "property": "real estate",
    "realty": "real estate", "saas": "software", "crm": "software",
}
# fmt: on
# Brands that are also ordinary words or first names: taken only capitalised, or in their own
# industry's list, or followed by a word of their kind.
# fmt: off
_AMBIGUOUS = {
    "allen", "best price", "busy", "care", "digit", "embassy", "exide", "fortune", "gera", "hero",
    "honda", "jeep", "kotak", "max", "mg", "motion", "national insurance", "oracle", "prestige",
    "provident", "resonance", "sap", "star", "time", "united india", "vi",
    "catch", "gemini", "tide", "rin", "vim", "bingo", "swift", "alto", "thar", "venue", "punch",
    "safari", "pw", "akash", "godrej", "kolte", "fronx", "harrier", "scorpio",
}
# fmt: on
_KIND_WORDS = (
    r"(?:life|health|insurance|bank|finance|classes|coaching|institute|academy|motors?|"
    r"properties|realty|homes|solar|energy|power)"
)


@dataclass(frozen=True)
class CompetitorMention:
    name: str
    sentence_index: int
    said: str


def industry_key(industry: str, hints: Iterable[str] = ()) -> str | None:
    """The built-in list for ``industry`` ("banking / loans" -> "banking"), else the industry
    whose cue words the ``hints`` (agency description, catalogue text) use most."""
    text = industry.casefold()
    for key in INDUSTRIES:
        if key in text:
            return key
    for alias, key in _INDUSTRY_ALIASES.items():
        if alias in text:
            return key
    tokens = set(words(" ".join([industry, *hints])))
    scored = sorted(
        ((len(tokens & set(cues)), key) for key, (cues, _) in INDUSTRIES.items()), reverse=True
    )
    if scored and scored[0][0] >= 2 and scored[0][0] > (scored[1][0] if len(scored) > 1 else 0):
        return scored[0][1]
    return None


def _pattern(name: str) -> re.Pattern:
    parts = [re.escape(p) for p in re.split(r"[\s-]+", name.replace("'s", "").strip()) if p]
    body = r"[\s-]*".join(parts)
    return re.compile(rf"(?<![\w-]){body}(?:'?s)?(?![\w-])", re.I)


class CompetitorFinder:
    """Finds competitors in sentences for one agency (built once per analysis)."""

    def __init__(
        self, *, industry: str, hints: Iterable[str], trackers: Iterable[str], own: Iterable[str]
    ) -> None:
        hints = list(hints)
        key = industry_key(industry, hints)
        home = set(INDUSTRIES[key][1]) if key else set()
        names: dict[str, bool] = {}  # name -> trusted (own industry or a tracker)
        for k, (_, brands) in INDUSTRIES.items():
            for brand in brands:
                names.setdefault(brand, k == key)
        for term in trackers:
            names[term.strip()] = True
        self._canonical: dict[str, str] = {}
        for canonical, others in ALIASES.items():
            key_of = next(
                (k for k, (_, b) in INDUSTRIES.items() if canonical.split()[0] in " ".join(b)), None
            )
            for alias in (canonical, *others):
                names.setdefault(alias, key_of == key)
                self._canonical[alias] = canonical
        own_words = [o.casefold() for o in own if o]
        self._entries = []
        for name, trusted in names.items():
            if not name or any(fuzz.ratio(name.casefold(), o) >= 90 for o in own_words):
                continue
            if any(name.casefold() in o.split() for o in own_words if len(name) > 3):
                continue
            first = (words(name.replace("'s", "")) or [""])[0]
            self._entries.append((name, _pattern(name), trusted or name in home, first))
        # longer names first so "HDFC Life" wins over "HDFC"
        self._entries.sort(key=lambda e: -len(e[0]))

    def find(self, index: int, text: str) -> list[CompetitorMention]:
        out: list[CompetitorMention] = []
        taken: list[tuple[int, int]] = []
        said_words = set(words(text.replace("'s", "")))
        joined = text.replace(" ", "").lower()
        for name, pattern, trusted, first in self._entries:
            if first not in said_words and first not in joined:
                continue  # a cheap test before the pattern
            for match in pattern.finditer(text):
                start, end = match.span()
                if any(start < b and end > a for a, b in taken):
                    continue
                said = match.group(0)
                if name.casefold() in _AMBIGUOUS or len(name) <= 3:
                    after = text[end : end + 20]
                    kind_next = re.match(rf"\s+{_KIND_WORDS}\b", after, re.I)
                    capital = said[:1].isupper() and not (
                        start == 0 or text[:start].rstrip().endswith((".", "?", "!"))
                    )
                    upper_short = len(name) <= 3 and said.isupper()
                    if not (
                        kind_next or (trusted and (capital or upper_short or said[:1].isupper()))
                    ):
                        continue
                    if len(name) <= 3 and not said.isupper() and not kind_next:
                        continue
                taken.append((start, end))
                out.append(
                    CompetitorMention(
                        name=self._canonical.get(name, name), sentence_index=index, said=said
                    )
                )
        return out
