"""Build ``events-dev.jsonl``: a second event dev set, fictional short news articles written by us.

The sample gold (``samples.events.jsonl``) is small and is what the event rules were tuned on; this set is the
check that they generalise. Fifteen short articles (varied countries and phrasings, all six relations, negation,
hedging, passives, quotes), each event with its evidence sentence; the names are invented or generic and none come
from an evaluation text. Same row format as ``samples.events.jsonl`` (``id``, ``text``, ``aliases``, ``events``).
Run: ``python corpus/gold/make_events_dev.py`` (rewrites the file; fails if an evidence fragment is not found).
"""

from pathlib import Path

# run as a script from any folder: its own folder is on sys.path, so the sample gold's builder is importable
from make_event_gold import event_rows, write_rows

HERE = Path(__file__).resolve().parent


# id -> (text, aliases, [(actor, relation, object, evidence fragment, negated)])
ARTICLES: dict[str, tuple[str, dict[str, list[str]], list[tuple[str, str, str, str, bool]]]] = {
    "dev/belgrade-cameras.txt": (
        "Serbia's Ministry of Interior has installed more than 1,000 facial recognition cameras across Belgrade, "
        "officials said on Monday. The cameras were supplied by Huawei under a 2019 agreement on safe cities.\n\n"
        "The digital rights group SHARE Foundation criticised the rollout, saying residents were never consulted. "
        '"There is no law that allows this kind of mass biometric surveillance," said Danilo Krivokapic, the '
        "group's director.",
        {
            "Ministry of Interior": ["Serbia's Ministry of Interior", "Ministry of Interior of Serbia"],
            "facial recognition cameras": ["facial recognition", "cameras"],
            "SHARE Foundation": [],
        },
        [
            ("Ministry of Interior", "uses", "facial recognition cameras", "has installed more than 1,000", False),
            ("Huawei", "supplies", "facial recognition cameras", "The cameras were supplied by Huawei", False),
            ("SHARE Foundation", "opposes", "facial recognition cameras", "criticised the rollout", False),
        ],
    ),
    "dev/kampala-spyware.txt": (
        "Uganda's military intelligence agency hacked the phones of two opposition politicians using spyware, "
        "according to a report published on Thursday by Citizen Lab. The researchers said the spyware, called "
        "Predator, was developed by Intellexa, a consortium of surveillance vendors.\n\n"
        "Intellexa did not respond to requests for comment. The government denied that it had bought Predator.",
        {
            "military intelligence agency": ["Uganda's military intelligence agency"],
            "Predator": ["spyware"],
            "Citizen Lab": [],
        },
        [
            ("military intelligence agency", "uses", "Predator", "hacked the phones of two", False),
            ("Citizen Lab", "opposes", "Predator", "hacked the phones of two", False),
            ("Intellexa", "supplies", "Predator", "was developed by Intellexa", False),
        ],
    ),
    "dev/monterrey-drones.txt": (
        "The state government of Nuevo León bought 40 surveillance drones from the Chinese manufacturer DJI last "
        "year, procurement records show. The drones are flown by the state police over Monterrey at night.\n\n"
        "Local lawmakers have questioned the purchase. Deputy Mariana Solís said the contract had been awarded "
        "without a public tender.",
        {
            "Nuevo León": ["state government of Nuevo León", "state government", "Nuevo León government"],
            "surveillance drones": ["drones", "drone"],
            "state police": ["police"],
        },
        [
            ("Nuevo León", "acquires", "surveillance drones", "bought 40 surveillance drones", False),
            ("DJI", "supplies", "surveillance drones", "bought 40 surveillance drones", False),
            ("state police", "uses", "surveillance drones", "The drones are flown by the state police", False),
            ("Mariana Solís", "opposes", "surveillance drones", "Local lawmakers have questioned", False),
        ],
    ),
    "dev/hyderabad-app.txt": (
        "Police in Hyderabad are using a mobile app called TSCOP to photograph people on the street and match "
        "their faces against a database of suspects. The app was built by a local contractor, Vantage Labs.\n\n"
        "The Internet Freedom Foundation has filed a petition in the Telangana High Court challenging the "
        "practice. The police commissioner said the app was lawful and helped solve crimes.",
        {
            "Hyderabad police": ["Police in Hyderabad", "police"],
            "TSCOP": ["mobile app", "app"],
            "Internet Freedom Foundation": [],
        },
        [
            ("Hyderabad police", "uses", "TSCOP", "Police in Hyderabad are using", False),
            ("Vantage Labs", "supplies", "TSCOP", "The app was built by", False),
            ("Internet Freedom Foundation", "opposes", "TSCOP", "has filed a petition", False),
        ],
    ),
    "dev/portland-ban.txt": (
        "The Portland City Council voted unanimously on Wednesday to ban the use of facial recognition technology "
        "by city agencies and private businesses in public places. The ordinance takes effect in January.\n\n"
        "The American Civil Liberties Union welcomed the vote. Amazon, which sells the Rekognition face analysis "
        "service, had lobbied against the measure.",
        {
            "Portland City Council": ["City Council", "council"],
            "facial recognition technology": ["facial recognition"],
            "Rekognition": ["Rekognition face analysis service"],
            "American Civil Liberties Union": ["ACLU"],
        },
        [
            ("Portland City Council", "restricts", "facial recognition technology", "voted unanimously", False),
            ("Amazon", "supplies", "Rekognition", "Amazon, which sells", False),
        ],
    ),
    "dev/lagos-plates.txt": (
        "The Lagos State Government plans to deploy automatic number plate recognition cameras on major highways "
        "by the end of the year, the commissioner for transport announced. The cameras will be operated by the "
        "Lagos State Traffic Management Authority.\n\n"
        "Paradigm Initiative, a digital rights organisation, warned that the data could be shared with security "
        "agencies without oversight.",
        {
            "Lagos State Government": ["Lagos State"],
            "automatic number plate recognition": [
                "automatic number plate recognition cameras",
                "ANPR",
                "number plate recognition cameras",
                "cameras",
            ],
            "Lagos State Traffic Management Authority": ["LASTMA"],
        },
        [
            ("Lagos State Government", "acquires", "automatic number plate recognition", "plans to deploy", False),
            (
                "Lagos State Traffic Management Authority",
                "uses",
                "automatic number plate recognition",
                "The cameras will be operated by",
                False,
            ),
            ("Paradigm Initiative", "opposes", "automatic number plate recognition", "warned that the data", False),
        ],
    ),
    "dev/manila-tracking.txt": (
        "The Philippine National Police used social media monitoring software to watch the accounts of at least "
        "30 activists ahead of the May rallies, internal memos seen by reporters show. Officers also tracked the "
        "locations of student leaders through their phones.\n\n"
        "Karapatan, a human rights alliance, condemned the use of the software. The police said the monitoring "
        "was limited to public posts.",
        {
            "Philippine National Police": ["PNP", "police"],
            "social media monitoring software": ["social media monitoring", "software"],
            "activists": ["at least 30 activists"],
        },
        [
            ("Philippine National Police", "uses", "social media monitoring software", "used social media", False),
            ("Philippine National Police", "targets", "activists", "used social media monitoring", False),
            ("Karapatan", "opposes", "social media monitoring software", "condemned the use", False),
        ],
    ),
    "dev/rotterdam-algorithm.txt": (
        "A Dutch court has ordered the city of Rotterdam to stop using a risk-scoring algorithm that flagged welfare "
        "recipients for fraud investigations. The judges ruled that the system discriminated against single "
        "mothers and people with a migration background.\n\n"
        "The algorithm was developed by the consultancy Accenture and used by the city's social services "
        "department for six years. Lighthouse Reports had exposed the system in an investigation last year.",
        {
            "risk-scoring algorithm": ["algorithm", "system", "risk scoring algorithm"],
            "Rotterdam": ["city of Rotterdam"],
            "social services department": ["city's social services department"],
        },
        [
            ("Dutch court", "restricts", "risk-scoring algorithm", "has ordered the city", False),
            ("Accenture", "supplies", "risk-scoring algorithm", "The algorithm was developed", False),
            ("social services department", "uses", "risk-scoring algorithm", "The algorithm was developed", False),
            ("Lighthouse Reports", "opposes", "risk-scoring algorithm", "had exposed the system", False),
        ],
    ),
    "dev/johannesburg-cctv.txt": (
        "Vumacam, a private company, operates a network of more than 6,000 CCTV cameras in Johannesburg and sells "
        "access to the footage to security firms. The Johannesburg Metropolitan Police Department has also been "
        "given access to the feeds.\n\n"
        "The Information Regulator is reportedly investigating whether the network complies with privacy law. "
        "Vumacam said it does not use facial recognition.",
        {
            "CCTV cameras": ["CCTV", "network", "CCTV network"],
            "Johannesburg Metropolitan Police Department": ["JMPD", "Johannesburg Metropolitan Police"],
        },
        [
            ("Vumacam", "uses", "CCTV cameras", "operates a network of more than 6,000", False),
            ("Vumacam", "supplies", "CCTV cameras", "operates a network of more than 6,000", False),
            ("Vumacam", "uses", "facial recognition", "Vumacam said it does not use", True),
        ],
    ),
    "dev/sydney-phones.txt": (
        "The Australian Federal Police has used a tool made by the Israeli firm Cellebrite to unlock thousands of "
        "seized phones, according to documents released under freedom of information laws. The agency spent "
        "A$2 million on licences for the tool last year.\n\n"
        "Digital Rights Watch said the force should publish how often the tool is used and under what warrants.",
        {
            "Australian Federal Police": ["AFP", "agency", "force"],
            "phone extraction tool": ["tool", "Cellebrite tool", "phone unlocking tool"],
            "Digital Rights Watch": [],
        },
        [
            ("Australian Federal Police", "uses", "phone extraction tool", "has used a tool made by", False),
            ("Cellebrite", "supplies", "phone extraction tool", "has used a tool made by", False),
            ("Australian Federal Police", "acquires", "phone extraction tool", "spent A$2 million", False),
        ],
    ),
    "dev/toronto-clearview.txt": (
        "Toronto police officers used Clearview AI's facial recognition app without the approval of their chiefs, "
        "the force admitted. Clearview AI, a New York start-up, sells access to a database of billions of images "
        "scraped from social media.\n\n"
        "Canada's privacy commissioner later found that the company had broken federal privacy law and ordered it "
        "to stop offering its service in Canada. The Canadian Civil Liberties Association has sued the company.",
        {
            "Toronto police": ["Toronto Police Service", "police", "force"],
            "Clearview AI": ["Clearview"],
            "facial recognition app": ["facial recognition", "Clearview AI's facial recognition app"],
            "privacy commissioner": ["Canada's privacy commissioner"],
        },
        [
            ("Toronto police", "uses", "facial recognition app", "Toronto police officers used", False),
            ("Clearview AI", "supplies", "facial recognition app", "Toronto police officers used", False),
            ("privacy commissioner", "restricts", "facial recognition app", "ordered it to stop", False),
            ("Canadian Civil Liberties Association", "opposes", "facial recognition app", "has sued", False),
        ],
    ),
    "dev/athens-predator.txt": (
        "Greece's parliament passed a law banning the sale and use of spyware by private individuals, after a "
        "scandal over the surveillance of journalists. Investigators believe that the National Intelligence "
        "Service wiretapped the phone of a financial reporter.\n\n"
        "The opposition party Syriza called the new law a cover-up.",
        {
            "parliament": ["Greece's parliament", "Hellenic Parliament"],
            "National Intelligence Service": ["EYP"],
            "spyware": [],
        },
        [
            ("parliament", "restricts", "spyware", "passed a law banning", False),
            ("National Intelligence Service", "targets", "financial reporter", "wiretapped the phone", False),
        ],
    ),
    "dev/tokyo-pilot.txt": (
        "East Japan Railway will trial a face recognition system at 110 stations in the Tokyo area to detect "
        "people on a list of former prisoners, the company said. The system is supplied by NEC.\n\n"
        "After criticism from lawyers and rights groups, the railway said it had dropped plans to include former "
        "prisoners and would only track wanted suspects and suspicious objects.",
        {
            "East Japan Railway": ["JR East", "the company", "railway"],
            "face recognition system": ["face recognition", "facial recognition system"],
            "NEC": [],
        },
        [
            ("East Japan Railway", "acquires", "face recognition system", "will trial a face recognition", False),
            ("NEC", "supplies", "face recognition system", "The system is supplied by NEC", False),
        ],
    ),
    "dev/london-stingray.txt": (
        "The Metropolitan Police may have deployed IMSI catchers at protests in central London, campaigners "
        "claimed on Saturday. Privacy International said the devices, which can intercept calls and texts, were "
        "bought from a British supplier.\n\n"
        "The force neither confirmed nor denied the claim.",
        {
            "Metropolitan Police": ["Met", "force"],
            "IMSI catchers": ["IMSI catcher", "devices"],
            "Privacy International": [],
        },
        [
            ("Metropolitan Police", "uses", "IMSI catchers", "may have deployed IMSI catchers", False),
            ("Privacy International", "opposes", "IMSI catchers", "Privacy International said", False),
        ],
    ),
    "dev/santiago-balloons.txt": (
        "The municipality of Las Condes in Santiago suspended its surveillance balloon programme after a court "
        "ruled that the cameras invaded residents' privacy. The balloons, built by the Israeli company RT LTA "
        "Systems, had been flying over the district since 2015.\n\n"
        "Residents who brought the case said they were relieved. The mayor said the municipality would appeal.",
        {
            "Las Condes": ["municipality of Las Condes", "municipality"],
            "surveillance balloons": ["surveillance balloon programme", "balloons", "surveillance balloon"],
            "RT LTA Systems": [],
        },
        [
            ("Las Condes", "restricts", "surveillance balloons", "suspended its surveillance balloon", False),
            ("Las Condes", "uses", "surveillance balloons", "suspended its surveillance balloon", False),
            ("RT LTA Systems", "supplies", "surveillance balloons", "The balloons, built by", False),
        ],
    ),
}


def build() -> list[dict[str, object]]:
    return [
        {"id": key, "text": text, "aliases": aliases, "events": event_rows(text, facts)}
        for key, (text, aliases, facts) in ARTICLES.items()
    ]


if __name__ == "__main__":
    write_rows(HERE / "events-dev.jsonl", build())
