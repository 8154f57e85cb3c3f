"""Generate synthetic patients for one clinic, fast: demo and benchmark data only.

    manage.py generate_patients --clinic KTM --count 1000000 [--seed 7] [--batch 10000]

Realistic-looking Nepali patients: given and family names, both sexes, birth dates over 0–95
years (some estimated from an age, as registration stores them), Nepali mobile numbers in
E.164 (mostly unique; some shared within a household), some e-mail addresses (on the reserved
``example.*`` domains, never a real mailbox), blood groups, addresses and emergency contacts.

The rows are written the way registration would write them (MRN from the clinic's counter,
without gaps; ``search_name`` as the service forms it; ``created_by`` empty) but **without**
registration's checks and **without a per-row audit event**: on PostgreSQL they are streamed
with ``COPY`` (about a million rows in a minute or two), elsewhere inserted with
``bulk_create``. The audit trail gets one summary event for the whole run instead. This is for
demo and benchmark installations, never for real patients: it refuses to run with DEBUG off
unless given ``--force``.
"""

from __future__ import annotations

import random
import time
import uuid
from bisect import bisect
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from itertools import accumulate
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.db.models import NOT_PROVIDED, Field
from django.utils import timezone

from clinicflow.core.audit.context import audit_context
from clinicflow.core.audit.recorder import record
from clinicflow.core.bulkdata import add_force_argument, refuse_without_debug, tidy_table
from clinicflow.core.models import AuditAction, Clinic
from clinicflow.patients.models import AllergyStatement, MrnCounter, Patient, Sex
from clinicflow.patients.services import remember_name_words

# ---------------------------------------------------------------- names and places

MALE_GIVEN = """
Aarav Aashish Aayush Abhishek Achyut Ajay Akash Amar Amit Amrit Anand Anil Anish Anmol Anup
Arjun Arun Ashim Ashok Avinash Ayush Babu Badri Bal Balram Basanta Bhanu Bharat Bhim
Bhupendra Bibek Bidur Bijay Bikash Bikram Bimal Binod Bipin Birendra Bishal Bishnu Buddha
Chandra Chetan Chiranjibi Deepak Deependra Devendra Dhan Dharma Dhruba Dil Dinesh Dipak
Dipendra Dipesh Gagan Ganesh Gautam Gopal Govinda Gyan Gyanendra Hari Hem Himal Ishwar Jagat
Jay Jeevan Jitendra Kamal Kapil Karan Kedar Keshav Khem Kiran Kishor Krishna Kul Kumar Laxman
Lok Madan Mahendra Mahesh Manish Manoj Milan Min Mohan Mukesh Nabin Narayan Naresh Nawaraj
Niraj Nirajan Nischal Nitesh Om Pawan Prabin Prakash Pramod Prasanna Prashant Pratik Prem
Purna Puskar Rabin Raghav Rajan Rajendra Rajesh Rajkumar Rakesh Ram Ramesh Rameshwor Ravi
Rishi Ritesh Rohan Roshan Rupak Rupesh Sabal Sabin Sagar Sajan Samir Sandeep Sanjay Sanjeev
Santosh Saroj Saurav Shankar Shiva Shyam Subash Sudan Sudip Sujan Suman Sunil Suraj Surendra
Suresh Sushant Sushil Tek Tilak Ujjwal Umesh Utsav Yam Yogesh Yubaraj Bishwas Dev Hikmat
Indra Jagadish Kailash Lalit Manoranjan Nanda Padam Pashupati Pitambar Rudra Tika Tulsi
"""

FEMALE_GIVEN = """
Aakriti Aarati Aasha Aayusha Alina Alisha Ambika Anisha Anita Anjali Anju Ankita Anusha Apsara
Archana Asmita Babita Bandana Barsha Bhagwati Bhawana Bimala Bina Binita Bipana Chameli Deepa
Devi Dhana Dilmaya Dipa Dristi Durga Ganga Gita Goma Gyanu Hira Indira Isha Ishika Jamuna
Januka Jyoti Kabita Kalpana Kamala Kanchan Karuna Kopila Kriti Kritika Kumari Kusum Lakshmi
Laxmi Lila Mamata Manisha Manju Maya Meena Menuka Mina Nabina Namita Nanu Nirmala Nisha Pabitra
Parbati Pooja Prabha Prakriti Pramila Pramita Prapti Pratima Preeti Priya Puja Pushpa Radha
Radhika Rachana Rajani Rama Ranjana Rashmi Reena Rekha Renuka Rina Rita Riya Rojina Roshani
Rubina Rupa Sabina Sabitra Sabnam Sadhana Salina Samikshya Samjhana Sangita Sanju Sanskriti
Sapana Sarala Saraswati Sarita Sharmila Shanti Shova Shreya Shristi Sirjana Sita Smriti Sneha
Sobha Srijana Sujata Sulochana Sumina Sumitra Sunita Sunmaya Sushila Sushma Susmita Suvekshya
Tara Trishna Tulasi Uma Urmila Usha Yamuna Yashoda Bishnumaya Hema Jharana
Kanchhi Laxmi Mandira Nirjala Parwati Resham Saru Sumana Tilmaya
"""

FAMILY = """
Shrestha Sharma Thapa Tamang Gurung Rai Magar Karki Adhikari Khadka Poudel Pokharel Bhattarai
Basnet Bhandari Rana Limbu Sherpa Maharjan Dahal Ghimire Acharya Joshi Koirala Neupane Pandey
Pant Regmi Subedi Thakuri Lama Bista Chaudhary Tharu Yadav Shah Singh Mahato Jha Mishra Giri
Puri Bhujel Budha Rawal Shahi Khatri Chhetri Dhakal Gautam Kafle Lamichhane Luitel Mainali
Nepal Oli Paudel Rijal Sapkota Sitaula Tiwari Upreti Wagle Aryal Baral Bhusal Devkota
Dhungana Gyawali Humagain Kandel Khanal Kharel Lamsal Marasini Nyaupane Parajuli Pathak
Pradhan Rimal Sedai Silwal Timalsina Tripathi Upadhyay Bajracharya Shakya Tuladhar Manandhar
Dangol Prajapati Amatya Malla Karmacharya Rajbhandari Chitrakar Ranjitkar Sthapit Tandukar
Awale Suwal Kayastha Pun Ale Ghale Sunuwar Yakkha Subba Chamling Bantawa Thami Jirel Hyolmo
Bhote Dhimal Rajbanshi Majhi Danuwar Kumal Chepang Mandal Sah Gupta Thakur Paswan Mukhiya
Ansari Miya Khan Alam Bishwakarma Pariyar Nepali Sunar Damai Sarki Bohara Dhami Saud Bhatt
Awasthi Ojha Kunwar Hamal Rokaya Bam Chand Thagunna Dhungel Gaire Ghising Moktan Waiba
"""

PLACES = """
Kathmandu Lalitpur Bhaktapur Kirtipur Budhanilkantha Tokha Tarakeshwar Chandragiri Nagarjun
Gokarneshwar Dhulikhel Banepa Panauti Godawari Mahalaxmi Changunarayan Suryabinayak Shankharapur
"""
TOLES = """
Baneshwor Koteshwor Kalanki Chabahil Balaju Maharajgunj Baluwatar Thamel Putalisadak Kalimati
Teku Tripureshwor Sanepa Jawalakhel Kupondole Boudha Jorpati Gongabu Samakhushi Sitapaila
Kuleshwor Balkhu Imadol Satdobato Thimi Sallaghari Sinamangal Tinkune Naxal Lazimpat
"""
RELATIONS_OF_WOMAN = ("Mother", "Father", "Husband", "Son", "Daughter", "Brother", "Sister")
RELATIONS_OF_MAN = ("Mother", "Father", "Wife", "Son", "Daughter", "Brother", "Sister")
FEMALE_RELATIONS = frozenset({"Mother", "Wife", "Daughter", "Sister"})
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")
#: Nepali mobile prefixes (NTC 984–986, 974–976; Ncell 980–982), roughly by market share.
MOBILE_PREFIXES = ("984", "986", "985", "980", "981", "982", "974", "975", "976")
MOBILE_WEIGHTS = (25, 14, 9, 17, 13, 9, 5, 4, 4)
#: Blood groups in Nepal, roughly; a third of the records do not know theirs.
BLOOD_GROUPS = ("A+", "B+", "O+", "AB+", "A-", "B-", "O-", "AB-", "")
BLOOD_WEIGHTS = (19, 18, 23, 5, 0.5, 0.5, 0.6, 0.2, 33)
#: Ages 0–95: children and the elderly see a clinic more often than the census says.
AGE_WEIGHTS = tuple(
    1.3
    if a < 10
    else 1.0
    if a < 40
    else 0.8
    if a < 60
    else 0.55
    if a < 75
    else 0.25
    if a < 85
    else 0.07
    for a in range(96)
)


def _words(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(text.split()))  # in order, without repeats


def _zipf(n: int, exponent: float) -> list[float]:
    """Cumulative weights: the first names of a list are the common ones."""
    return list(accumulate(1 / (rank + 1) ** exponent for rank in range(n)))


# ---------------------------------------------------------------- the generator

#: What the generator fills, in the order of its rows; every other column takes the field's
#: default (or its database default, or NULL).
GENERATED = (
    "id",
    "mrn",
    "mrn_seq",
    "given_name",
    "family_name",
    "sex",
    "birth_date",
    "birth_date_estimated",
    "phone",
    "email",
    "address",
    "blood_group",
    "emergency_contact_name",
    "emergency_contact_phone",
    "emergency_contact_relation",
    "allergy_statement",
    "search_name",
    "is_active",
    "inactive_reason",
)


class PatientFaker:
    """Rows of synthetic patients (tuples in the order of :data:`GENERATED`). The same seed
    gives the same people; their primary keys are always fresh."""

    def __init__(self, *, clinic_code: str, today: date, seed: int | None):
        self.rng = random.Random(seed)  # noqa: S311  (fake data, reproducible; no secrets)
        self.code = clinic_code
        self.today = today
        self.male = _words(MALE_GIVEN)
        self.female = _words(FEMALE_GIVEN)
        self.family = _words(FAMILY)
        self.places = _words(PLACES)
        self.toles = _words(TOLES)
        self.male_cum = _zipf(len(self.male), 0.7)
        self.female_cum = _zipf(len(self.female), 0.7)
        self.family_cum = _zipf(len(self.family), 0.9)
        self.age_cum = list(accumulate(AGE_WEIGHTS))
        self.mobile_cum = list(accumulate(MOBILE_WEIGHTS))
        self.blood_cum = list(accumulate(BLOOD_WEIGHTS))
        self.recent_phones: list[str] = []

    def _pick(self, values: Sequence[str], cum: list[float]) -> str:
        return values[bisect(cum, self.rng.random() * cum[-1])]

    def _mobile(self) -> str:
        rng = self.rng
        prefix = MOBILE_PREFIXES[bisect(self.mobile_cum, rng.random() * self.mobile_cum[-1])]
        return f"+977{prefix}{rng.randrange(10_000_000):07d}"

    def _birth(self) -> tuple[date | None, bool]:
        rng = self.rng
        roll = rng.random()
        if roll < 0.01:
            return None, False  # not known at all
        age = bisect(self.age_cum, rng.random() * self.age_cum[-1])
        if roll < 0.09 + age / 600:
            # Only an age was given: registration stores 1 January of that year, estimated.
            return date(self.today.year - age, 1, 1), True
        days = int(age * 365.25) + rng.randrange(365)
        return date.fromordinal(self.today.toordinal() - days), False

    def row(self, seq: int) -> tuple[Any, ...]:
        rng = self.rng
        roll = rng.random()
        if roll < 0.495:
            sex, given = Sex.FEMALE, self._pick(self.female, self.female_cum)
        elif roll < 0.997:
            sex, given = Sex.MALE, self._pick(self.male, self.male_cum)
        else:
            sex = Sex.OTHER if roll < 0.9985 else Sex.UNKNOWN
            if roll < 0.9993:
                given = self._pick(self.female, self.female_cum)
            else:
                given = self._pick(self.male, self.male_cum)
        family = self._pick(self.family, self.family_cum)
        birth_date, estimated = self._birth()

        roll = rng.random()
        if roll < 0.07:
            phone = ""  # no phone given
        elif roll < 0.13 and self.recent_phones:
            phone = rng.choice(self.recent_phones)  # a household's shared number
        else:
            phone = self._mobile()
            self.recent_phones.append(phone)
            if len(self.recent_phones) > 64:
                del self.recent_phones[:32]
        email = (
            f"{given}.{family}{rng.randrange(1000)}@{rng.choice(EMAIL_DOMAINS)}".lower()
            if rng.random() < 0.12
            else ""
        )
        address = (
            f"{rng.choice(self.toles)}, Ward {rng.randint(1, 32)}, {rng.choice(self.places)}"
            if rng.random() < 0.75
            else ""
        )
        if rng.random() < 0.35:
            relation = rng.choice(RELATIONS_OF_WOMAN if sex == Sex.FEMALE else RELATIONS_OF_MAN)
            if relation in FEMALE_RELATIONS:
                contact_given = self._pick(self.female, self.female_cum)
            else:
                contact_given = self._pick(self.male, self.male_cum)
            contact = (f"{contact_given} {family}", self._mobile(), relation)
        else:
            contact = ("", "", "")
        inactive = rng.random() < 0.01
        return (
            uuid.uuid4(),  # never from the seed: a second run with the same seed must not clash
            f"{self.code}-{seq:06d}",
            seq,
            given,
            family,
            sex.value,
            birth_date,
            estimated,
            phone,
            email,
            address,
            BLOOD_GROUPS[bisect(self.blood_cum, rng.random() * self.blood_cum[-1])],
            *contact,
            AllergyStatement.NONE_KNOWN.value
            if rng.random() < 0.3
            else AllergyStatement.NOT_ASKED.value,
            f"{given} {family}".lower(),  # exactly as registration forms it
            not inactive,
            rng.choice(("Moved away", "Deceased", "Duplicate record")) if inactive else "",
        )

    def batches(self, first_seq: int, count: int, size: int) -> Iterator[list[tuple[Any, ...]]]:
        end = first_seq + count
        for start in range(first_seq, end, size):
            yield [self.row(seq) for seq in range(start, min(start + size, end))]


# ---------------------------------------------------------------- writing


def _columns() -> tuple[list[Field[Any, Any]], dict[str, Any]]:
    """The columns written (generated ones first, then those filled with the field's default)
    and those constant values. Fails loudly when the model gained a required column that
    nothing here fills."""
    fields = {f.name: f for f in Patient._meta.concrete_fields}
    written = [fields[name] for name in GENERATED]
    constants: dict[str, Any] = {}
    for field in fields.values():
        if field.name in GENERATED or field.name in ("clinic", "updated_at"):
            continue
        if field.db_default is not NOT_PROVIDED or field.null:
            continue  # the database fills it (created_at) or it stays NULL
        default = field.get_default()
        if default is None:
            raise CommandError(f"generate_patients does not know how to fill {field.name}")
        written.append(field)
        constants[field.name] = default
    written += [fields["clinic"], fields["updated_at"]]
    return written, constants


def _copy(clinic: Clinic, batches: Iterator[list[tuple[Any, ...]]], now: datetime) -> None:
    """Stream every row into PostgreSQL with one COPY."""
    written, constants = _columns()
    tail = (*constants.values(), clinic.pk, now)
    quote = connection.ops.quote_name
    statement = "COPY {} ({}) FROM STDIN".format(
        quote(Patient._meta.db_table), ", ".join(quote(str(f.column)) for f in written)
    )
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for batch in batches:
            for row in batch:
                copy.write_row((*row, *tail))


def _bulk_create(clinic: Clinic, batches: Iterator[list[tuple[Any, ...]]]) -> None:
    _, constants = _columns()
    for batch in batches:
        Patient.objects.bulk_create(
            [
                Patient(clinic=clinic, **constants, **dict(zip(GENERATED, row, strict=True)))
                for row in batch
            ]
        )


def _remember_words(clinic: Clinic) -> None:
    """Fill the clinic's name-word list (name search starts there) from the names written."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO patients_nameword (clinic_id, word) "
                "SELECT DISTINCT clinic_id, unnest(string_to_array(search_name, ' ')) "
                "FROM patients_patient WHERE clinic_id = %s ON CONFLICT DO NOTHING",
                [clinic.pk],
            )
        return
    names = Patient.objects.for_clinic(clinic).values_list("search_name", flat=True)
    remember_name_words(clinic, list(names.iterator()))


class Command(BaseCommand):
    help = (
        "Generate synthetic patients for one clinic, fast, for demo and benchmark data only: "
        "rows are bulk-written (COPY on PostgreSQL) with MRNs from the clinic's counter, "
        "bypassing registration's checks and the per-row audit trail (one summary audit event "
        "instead). Refuses without DEBUG unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clinic", required=True, help="The clinic's code, e.g. KTM.")
        parser.add_argument("--count", type=int, required=True, help="How many patients.")
        parser.add_argument("--seed", type=int, default=None, help="For reproducible data.")
        parser.add_argument(
            "--batch", type=int, default=10_000, help="Rows generated (and inserted) at a time."
        )
        add_force_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_without_debug(options, "patients")
        count: int = options["count"]
        batch: int = options["batch"]
        if count < 1 or batch < 1:
            raise CommandError("--count and --batch must be at least 1.")
        clinic = Clinic.objects.filter(code=options["clinic"].upper()).first()
        if clinic is None:
            raise CommandError(f"No clinic with the code {options['clinic']!r}.")

        started = time.perf_counter()
        with audit_context(source="command:generate_patients", clinic_id=clinic.pk):
            first, last = self._generate(clinic, count, batch, options["seed"])
        written = time.perf_counter() - started
        tidied = tidy_table(Patient)
        seconds = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated {count} patients in {clinic.code} ({first} … {last}) in "
                f"{seconds:.1f} s ({count / seconds:.0f} rows/s; written in {written:.1f} s"
                f"{tidied})."
            )
        )

    @transaction.atomic
    def _generate(
        self, clinic: Clinic, count: int, batch: int, seed: int | None
    ) -> tuple[str, str]:
        """Take ``count`` numbers from the clinic's counter (locked until commit, so concurrent
        registrations wait and then continue after them) and write the rows."""
        MrnCounter.objects.for_clinic(clinic).get_or_create(clinic=clinic)
        counter = MrnCounter.objects.for_clinic(clinic).select_for_update().get()
        first_seq = counter.last_seq + 1
        now = timezone.now()
        faker = PatientFaker(
            clinic_code=clinic.code,
            today=timezone.localtime(now, clinic.zone).date(),
            seed=seed,
        )
        batches = faker.batches(first_seq, count, batch)
        if connection.vendor == "postgresql":
            _copy(clinic, batches, now)
        else:
            _bulk_create(clinic, batches)
        _remember_words(clinic)
        counter.last_seq = first_seq + count - 1
        counter.save(update_fields=["last_seq"])
        first, last = f"{clinic.code}-{first_seq:06d}", f"{clinic.code}-{counter.last_seq:06d}"
        record(
            AuditAction.CREATE,
            object_type="patients.patient",
            object_repr=f"{count} generated patients",
            clinic_id=clinic.pk,
            changes={"generated": count, "first_mrn": first, "last_mrn": last},
        )
        return first, last
