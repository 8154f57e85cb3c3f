"""Which ICD-10 diagnoses are long-term conditions, the ones a signing doctor is offered to keep
on the patient's problem list (pre-ticked). By three-character category: the conditions a
clinic follows from visit to visit (diabetes, hypertension, asthma, epilepsy…), not an
episode that ends (a cough, a sprain). A clinic's list changes here and nowhere else."""

from __future__ import annotations


def _span(first: str, last: str) -> set[str]:
    """Categories from ``first`` to ``last`` within one chapter letter ("E10", "E14")."""
    letter = first[0]
    return {f"{letter}{n:02d}" for n in range(int(first[1:]), int(last[1:]) + 1)}


CHRONIC_CATEGORIES: frozenset[str] = frozenset(
    {
        "B18",  # chronic viral hepatitis
        *_span("B20", "B24"),  # HIV disease
        *_span("C00", "C97"),  # malignant neoplasms
        "D56",  # thalassaemia
        "D57",  # sickle-cell disorders
        *_span("D66", "D68"),  # haemophilia and other coagulation defects
        *_span("E01", "E05"),  # thyroid disorders
        *_span("E10", "E14"),  # diabetes mellitus
        "E66",  # obesity
        "E78",  # disorders of lipoprotein metabolism
        "E84",  # cystic fibrosis
        *_span("F00", "F03"),  # dementia
        "F20",  # schizophrenia
        "F25",  # schizoaffective disorders
        "F31",  # bipolar affective disorder
        "F33",  # recurrent depressive disorder
        "F84",  # pervasive developmental disorders
        "F90",  # hyperkinetic disorders
        "G20",  # Parkinson's disease
        "G30",  # Alzheimer's disease
        "G35",  # multiple sclerosis
        "G40",  # epilepsy
        "G43",  # migraine
        "G80",  # cerebral palsy
        "H40",  # glaucoma
        *_span("I05", "I09"),  # chronic rheumatic heart diseases
        *_span("I10", "I15"),  # hypertensive diseases
        "I20",  # angina pectoris
        "I25",  # chronic ischaemic heart disease
        "I48",  # atrial fibrillation and flutter
        "I50",  # heart failure
        "I69",  # sequelae of cerebrovascular disease
        *_span("J41", "J45"),  # chronic bronchitis, emphysema, COPD, asthma
        "J47",  # bronchiectasis
        "J84",  # interstitial lung diseases
        "K50",  # Crohn's disease
        "K51",  # ulcerative colitis
        "K70",  # alcoholic liver disease
        "K73",  # chronic hepatitis
        "K74",  # fibrosis and cirrhosis of liver
        "L20",  # atopic dermatitis
        "L40",  # psoriasis
        *_span("M05", "M06"),  # rheumatoid arthritis
        "M10",  # gout
        *_span("M15", "M19"),  # arthrosis
        "M32",  # systemic lupus erythematosus
        "M45",  # ankylosing spondylitis
        "M81",  # osteoporosis
        "N18",  # chronic kidney disease
        "Q90",  # Down's syndrome
        "Z21",  # asymptomatic HIV infection status
        "Z94",  # transplanted organ status
    }
)


def is_chronic(code: str | None) -> bool:
    """Whether a diagnosis with this ICD-10 code is a long-term condition."""
    return code is not None and code.strip().upper()[:3] in CHRONIC_CATEGORIES
