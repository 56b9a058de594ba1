"""Word lists for the demo practice: names, Georgia places, payers and referral partners.

Plain data, kept apart from :mod:`services.demo` so the generator reads as a story. Phone numbers
are built from the 555-01xx block that North American numbering reserves for fiction, and e-mail
addresses use the reserved example domains, so the demo can never text or mail a real person.
"""

from __future__ import annotations

from dataclasses import dataclass

FEMALE_FIRST = (
    "Aaliyah", "Abigail", "Adriana", "Aisha", "Alejandra", "Amara", "Ana", "Angela", "Ashley", "Brianna",
    "Camila", "Carmen", "Chloe", "Chanel", "Daniela", "Destiny", "Ebony", "Elizabeth", "Emily", "Esperanza",
    "Fatima", "Gabriela", "Grace", "Hana", "Imani", "Isabella", "Jasmine", "Jennifer", "Jessica", "Keisha",
    "Kimberly", "Latoya", "Lauren", "Layla", "Linh", "Lucia", "Madison", "Maya", "Mei", "Mia", "Nadia",
    "Naomi", "Nia", "Olivia", "Priscilla", "Rachel", "Rosa", "Sarah", "Shanice", "Sofia", "Tamika",
    "Tiffany", "Valentina", "Whitney", "Ximena", "Yasmin", "Zainab", "Zoe", "Mary Catherine", "Savannah",
)

MALE_FIRST = (
    "Aaron", "Adrian", "Ahmed", "Alejandro", "Andre", "Anthony", "Benjamin", "Brandon", "Caleb", "Carlos",
    "Christopher", "Cody", "Darius", "David", "DeShawn", "Diego", "Dylan", "Elijah", "Ethan", "Gabriel",
    "Hector", "Hiroshi", "Isaiah", "Jamal", "James", "Javier", "Jaylen", "Jonathan", "Jose", "Joshua",
    "Juan", "Kenji", "Kwame", "Lamar", "Luis", "Malik", "Marcus", "Mateo", "Michael", "Minh", "Mohammed",
    "Nathaniel", "Omar", "Patrick", "Rahul", "Ricardo", "Robert", "Samuel", "Sanjay", "Terrence", "Thomas",
    "Trevor", "Tyrone", "Victor", "Wei", "William", "Xavier", "Yusuf", "Zachary", "Beau",
)

NEUTRAL_FIRST = ("Alex", "Avery", "Casey", "Jordan", "Kai", "Morgan", "Quinn", "Riley", "River", "Rowan",
                 "Sage", "Skyler", "Taylor")

LAST_NAMES = (
    "Adams", "Alvarez", "Anderson", "Baker", "Banks", "Bennett", "Brooks", "Brown", "Bryant", "Castillo",
    "Chen", "Coleman", "Cruz", "Davis", "Diaz", "Dixon", "Edwards", "Ellis", "Evans", "Flores", "Ford",
    "Freeman", "Garcia", "Gonzalez", "Gray", "Greene", "Gupta", "Hall", "Harris", "Hernandez", "Hill",
    "Holloway", "Huang", "Jackson", "James", "Jenkins", "Johnson", "Jones", "Kim", "King", "Le", "Lee",
    "Lewis", "Lopez", "Martin", "Martinez", "McDaniel", "Mitchell", "Moore", "Morales", "Morgan", "Murphy",
    "Nguyen", "O'Brien", "Okafor", "Oliver", "Ortiz", "Owens", "Park", "Patel", "Perez", "Peterson",
    "Phillips", "Ramirez", "Reed", "Reyes", "Richardson", "Rivera", "Robinson", "Rodriguez", "Ross",
    "Sanchez", "Sanders", "Scott", "Shah", "Simmons", "Smith", "Stewart", "Sullivan", "Tanaka", "Taylor",
    "Thomas", "Thompson", "Tran", "Turner", "Vasquez", "Walker", "Ward", "Washington", "Watkins", "White",
    "Williams", "Wilson", "Wright", "Young", "Abernathy", "Hassan", "Nakamura", "Osei", "Van Buren",
)

LANGUAGES = (("English", 86), ("Spanish", 8), ("Vietnamese", 2), ("Korean", 1), ("Mandarin", 1),
             ("Arabic", 1), ("Haitian Creole", 1))


@dataclass(frozen=True)
class Place:
    city: str
    zips: tuple[str, ...]
    area_codes: tuple[str, ...]
    weight: int


ATLANTA_CODES = ("404", "470", "678", "770")

PLACES = (
    Place("Atlanta",
          ("30303", "30305", "30306", "30308", "30309", "30310", "30312", "30316", "30318", "30324"),
          ("404", "470", "678"), 30),
    Place("Decatur", ("30030", "30032", "30033"), ("404", "470"), 8),
    Place("Marietta", ("30060", "30062", "30064", "30066"), ("770", "678", "470"), 7),
    Place("Smyrna", ("30080", "30082"), ("770", "678"), 4),
    Place("Sandy Springs", ("30328", "30350"), ("404", "770"), 4),
    Place("Roswell", ("30075", "30076"), ("770", "678"), 4),
    Place("Alpharetta", ("30004", "30005", "30009"), ("678", "770", "470"), 4),
    Place("Lawrenceville", ("30043", "30044", "30046"), ("770", "678"), 5),
    Place("Duluth", ("30096", "30097"), ("770", "678"), 3),
    Place("Stone Mountain", ("30083", "30087", "30088"), ("770", "404", "470"), 4),
    Place("East Point", ("30344",), ("404", "470"), 3),
    Place("College Park", ("30337", "30349"), ("404", "470"), 3),
    Place("Kennesaw", ("30144", "30152"), ("770", "678"), 3),
    Place("Athens", ("30601", "30605", "30606"), ("706",), 3),
    Place("Augusta", ("30901", "30904", "30909"), ("706",), 2),
    Place("Columbus", ("31901", "31904", "31909"), ("706",), 2),
    Place("Savannah", ("31401", "31404", "31405", "31406"), ("912",), 3),
    Place("Brunswick", ("31520", "31525"), ("912",), 1),
)

STREETS = (
    "Peachtree St NE", "Ponce de Leon Ave", "Piedmont Ave NE", "Memorial Dr SE", "Moreland Ave",
    "North Highland Ave", "Roswell Rd", "Church St", "Clairmont Rd", "Lawrenceville Hwy", "Buford Hwy",
    "Cobb Pkwy", "Glenwood Ave", "Howell Mill Rd", "Marietta St NW", "Boulevard SE", "Candler Rd",
    "Main St", "Oak St", "Magnolia Dr", "Dogwood Ln", "Pecan Grove Ct", "Old Alabama Rd", "Holcomb Bridge Rd",
    "Abercorn St", "Bull St", "Broad St", "Milledge Ave", "Wrightsboro Rd", "Veterans Pkwy",
)

APARTMENT_WORDS = ("Apt", "Unit", "Suite")


@dataclass(frozen=True)
class Payer:
    name: str
    payer_id: str | None
    member_prefix: str
    group: bool


COMMERCIAL = (
    Payer("Aetna", "60054", "W", True),
    Payer("Blue Cross Blue Shield of Georgia", None, "XOF", True),
    Payer("Cigna", "62308", "U", True),
    Payer("UnitedHealthcare", "87726", "", True),
    Payer("Ambetter from Peach State Health Plan", None, "U7", False),
    Payer("Humana", None, "H", True),
    Payer("Kaiser Permanente Georgia", None, "KP", True),
)

MEDICAID = (
    Payer("CareSource Georgia (Medicaid)", None, "CS", False),
    Payer("Peach State Health Plan (Medicaid)", None, "PS", False),
    Payer("Amerigroup Community Care (Medicaid)", None, "AM", False),
)

MEDICARE = Payer("Medicare Part B", None, "", False)

ROI_RECIPIENTS = (
    "Dr. Angela Morris, Piedmont Primary Care",
    "Grady Health System, Behavioral Health",
    "Emory Healthcare Psychiatry",
    "Fulton County Schools, school counselor",
    "DeKalb County School District, school counselor",
    "Gwinnett County Public Schools, school psychologist",
    "Kaiser Permanente Glenlake, primary care",
    "Northside Hospital, care management",
    "Georgia DFCS case worker",
    "Employee Assistance Program (ComPsych)",
    "Dr. Luis Romero, Wellstar Family Medicine",
    "Attorney of record (family court)",
)

EMERGENCY_RELATIONSHIPS = ("Spouse", "Partner", "Mother", "Father", "Sister", "Brother", "Friend", "Daughter",
                           "Son", "Aunt", "Grandmother")

GUARDIAN_RELATIONSHIPS = ("Mother", "Father", "Grandmother", "Legal guardian", "Aunt")

PRONOUNS = {"F": "she/her", "M": "he/him", "X": "they/them"}

EMAIL_DOMAINS = ("example.com", "example.net", "example.org")
