"""The simulated world's vocabulary: stages, personas, topics, regions, names.

Kept as plain tuples so every other module indexes them with small integers (numpy arrays
of int8/int16), which is what keeps a million-contact world small in memory.
"""

from __future__ import annotations

from typing import Final

VENDOR: Final = "Northpeak Networks"
VENDOR_SITE: Final = "https://www.northpeak.example"

STAGES: Final = (
    "epiphany",
    "awareness",
    "interest",
    "consideration",
    "purchase",
    "onboarding",
    "adoption",
    "renewal/expansion",
    "advocacy",
)
"""Buying stages then lifecycle stages, in the brief's order; index = position."""
EPIPHANY, AWARENESS, INTEREST, CONSIDERATION, PURCHASE = 0, 1, 2, 3, 4
ONBOARDING, ADOPTION, RENEWAL, ADVOCACY = 5, 6, 7, 8

PERSONAS: Final = (
    "Function Head",
    "Transformational Leader",
    "Business Strategist",
    "Turnaround Artist",
    "IT Manager",
    "CFO",
    "Network Engineer",
    "Procurement Manager",
)
"""The four CIO archetypes from the brief first, then non-CIO buyers."""
CIO_ARCHETYPES: Final = PERSONAS[:4]

PERSONA_TITLES: Final = (
    "CIO",
    "Chief Information Officer",
    "CIO & VP Strategy",
    "Interim CIO",
    "IT Manager",
    "Chief Financial Officer",
    "Senior Network Engineer",
    "Procurement Manager",
)
"""A job title per persona, used only for the forbidden ``title`` trait some forms leak."""

SEGMENTS: Final = ("SMB", "mid-market", "enterprise")
SEGMENT_SHARES: Final = (0.6, 0.3, 0.1)
SEGMENT_EMPLOYEES: Final = ((10, 199), (200, 1_999), (2_000, 120_000))

PERSONA_BY_SEGMENT: Final = (
    # Function Heads run IT in smaller organisations; strategists sit in big ones.
    (0.30, 0.04, 0.03, 0.06, 0.30, 0.12, 0.08, 0.07),
    (0.18, 0.12, 0.09, 0.08, 0.26, 0.08, 0.12, 0.07),
    (0.06, 0.20, 0.17, 0.07, 0.20, 0.06, 0.16, 0.08),
)

TOPICS: Final = (
    "network security",
    "cloud connectivity",
    "branch networking",
    "hybrid work",
    "IT cost control",
    "unified communications",
    "business continuity",
    "data center modernisation",
    "IoT at scale",
    "regulatory compliance",
)
"""Business issues content is tagged with (and forms offer a subscription to)."""

PRODUCTS: Final = (
    "Secure Edge",
    "Cloud Direct",
    "SD-WAN Branch",
    "Anywhere Access",
    "Managed Network Services",
    "UC Suite",
    "Resilient Link",
    "DC Interconnect",
    "IoT Connect",
    "Compliance Reporting",
)
"""The vendor's product for each topic, same index."""

TOPICS_BY_PERSONA: Final = (
    (0, 2, 4, 3),
    (9, 5, 1, 7),
    (1, 7, 8, 3),
    (4, 6, 0, 2),
    (0, 2, 3, 6),
    (4, 9, 6, 1),
    (2, 0, 1, 8),
    (4, 2, 5, 6),
)
"""Each persona's likeliest business issues, most likely first."""

REGIONS: Final = ("North America", "Europe", "Asia-Pacific", "Latin America")
REGION_SHARES: Final = (0.45, 0.32, 0.15, 0.08)
REGION_UTC_OFFSET_H: Final = (-6, 1, 8, -3)
COVERAGE_AREAS: Final = (
    ("North America - East", 0),
    ("North America - West", 0),
    ("UK & Ireland", 1),
    ("DACH", 1),
    ("Asia-Pacific", 2),
    ("Latin America", 3),
)
"""Network-coverage maps (hot signals) and the region each covers."""
