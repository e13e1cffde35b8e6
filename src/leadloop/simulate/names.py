"""Names for the simulated market: companies, people, sales reps, browsers.

Plain word lists; people and companies are combinations of them, indexed by small integers.
"""

from __future__ import annotations

from typing import Final

INDUSTRIES: Final = (
    ("Healthcare", ("Health", "Medical", "Care", "Clinics", "Biotech")),
    ("Financial services", ("Capital", "Bank", "Insurance", "Financial", "Credit Union")),
    ("Manufacturing", ("Manufacturing", "Industries", "Components", "Metals", "Plastics")),
    ("Retail", ("Retail", "Stores", "Brands", "Outfitters", "Market")),
    ("Logistics", ("Logistics", "Freight", "Shipping", "Transport")),
    ("Education", ("Learning", "Academy", "College", "Schools")),
    ("Public sector", ("County Services", "Authority", "Municipal", "Transit")),
    ("Technology", ("Software", "Systems", "Labs", "Digital", "Data")),
    ("Energy", ("Energy", "Power", "Utilities", "Renewables")),
    ("Professional services", ("Consulting", "Legal", "Advisors", "Partners")),
    ("Hospitality", ("Hotels", "Resorts", "Hospitality")),
    ("Media", ("Media", "Studios", "Publishing")),
)
"""Industries with the nouns their company names use."""

COMPANY_PREFIXES: Final = tuple(
    """
    Acorn Alder Alpine Amber Anchor Apex Arbor Arrow Ash Aspen Atlas Aurora Azure Bay Beacon
    Bedrock Birch Blackstone Bluewater Boulder Brightwater Bristle Broadleaf Brook Canyon
    Cardinal Cascade Cedar Centennial Charter Clearview Cliffside Coastal Cobalt Compass
    Copper Coral Cornerstone Crescent Crest Crown Crystal Cypress Delta Driftwood Eagle
    Eastgate Echo Elm Ember Evergreen Fairway Falcon Fernhill Fieldstone Firefly Flint
    Foxglove Frontier Galena Garnet Gateway Glacier Golden Granite Greenfield Greystone
    Harbor Harvest Hawthorn Heron Highland Hillcrest Horizon Huron Indigo Iron Ironbridge
    Ivy Juniper Keystone Kingfisher Lakeside Landmark Larch Laurel Liberty Lighthouse Linden
    Lodestar Magnolia Maple Marble Meadow Meridian Mesa Midland Millbrook Mistral Monarch
    Moraine Northgate Northstar Oak Oakridge Ocean Onyx Orchard Osprey Pacific Palisade
    Paragon Pathway Peak Pebble Pine Pinnacle Pioneer Polaris Prairie Quarry Radiant Rainier
    Raven Redwood Ridge Riverbend Rockport Rosewood Saddle Sage Sandstone Sapphire Sequoia
    Shoreline Sierra Silver Skyline Slate Sparrow Spruce Stonegate Summit Sunridge Sycamore
    Tallgrass Terra Thistle Timber Topaz Trailhead Trident Tundra Union Unity Valley
    Vanguard Vertex Vista Walnut Waypoint Westbrook Westwind Willow Windmill Winterberry
    Yarrow Zenith
    """.split()  # noqa: SIM905
)
LEGAL_SUFFIXES: Final = ("Inc.", "LLC", "Ltd", "Group", "GmbH", "S.A.", "Corp.", "Co.", "")

FIRST_NAMES: Final = tuple(
    """
    Aaron Abigail Adam Adaeze Adrian Ahmed Aiko Alejandro Alex Alice Amara Amelia Ana Andrea
    Andrew Anika Anna Arjun Astrid Ava Ben Bianca Brian Camila Carlos Caroline Chen Chloe
    Chris Claire Daniel David Deepa Diana Diego Dmitri Elena Elif Elijah Emily Emma Erik
    Ethan Fatima Felix Fernanda Fiona Gabriel Grace Hana Hannah Hassan Helen Henrik Hiroshi
    Ian Ingrid Isaac Isabel Jack Jakub James Jana Javier Jessica Jin John Jonas Jordan Jose
    Julia Kai Karen Kenji Kevin Kofi Laura Lars Leila Leo Liam Lina Lucas Lucia Luis Maya
    Mateo Matthew Mei Mia Michael Miguel Mohammed Nadia Naomi Nathan Nia Nikhil Nina Noah
    Olga Oliver Olivia Omar Oscar Pablo Paula Pedro Peter Priya Rachel Rafael Rahul Raj
    Rebecca Ricardo Rosa Ryan Sakura Samuel Sara Sebastian Sergei Sofia Sophie Stefan Sunil
    Tariq Thomas Tomas Valentina Victor Wei William Yara Yusuf Zainab Zoe
    """.split()  # noqa: SIM905
)

LAST_NAMES: Final = tuple(
    """
    Adams Agarwal Ahmed Alvarez Andersen Anderson Bailey Baker Banerjee Becker Bennett Berg
    Brown Campbell Carter Castillo Chen Clark Costa Cruz Das Davies Davis Diaz Dubois
    Edwards Eriksson Evans Fernandez Fischer Fisher Flores Garcia Gomez Gonzalez Green Gupta
    Hall Hansen Harris Hernandez Hill Hoffmann Huang Hughes Ivanova Jackson Jansen Jensen
    Johansson Johnson Jones Kaur Khan Kim King Klein Kowalski Kumar Larsen Lee Lewis Li Lin
    Liu Lopez Martin Martinez Mehta Meyer Miller Mitchell Moore Morales Moreau Murphy
    Nakamura Nguyen Nielsen Novak Okafor Olsen Ortiz Park Patel Perez Peters Petrov Phillips
    Quinn Ramirez Reddy Reyes Richter Rivera Roberts Robinson Rodriguez Rossi Russo Santos
    Sato Schmidt Schneider Scott Shah Silva Singh Smith Sorensen Suzuki Tanaka Taylor Thomas
    Thompson Torres Turner Wagner Walker Wang Watanabe Weber White Williams Wilson Wong
    Wright Wu Yamamoto Yang Young Zhang Zimmermann
    """.split()  # noqa: SIM905
)

FREE_MAIL: Final = ("gmail.com", "outlook.com", "yahoo.com", "hotmail.com", "icloud.com", "gmx.de")
"""Free-mail domains some people use in forms (they say nothing about the employer)."""

SALES_REP_NAMES: Final = (
    "Dana Whitfield", "Marco Bellini", "Priya Raman", "Tom Okonkwo", "Sofia Lindqvist",
    "Jamal Carter", "Hélène Fabre", "Kenji Mori", "Laura Brennan", "Diego Salas",
    "Ruth Adeyemi", "Ben Hartley", "Ana Petrović", "Chris Nolan", "Mei Tan", "Oskar Wirth",
)  # fmt: skip
"""The named sales team; bigger worlds add generated colleagues."""

USER_AGENTS: Final = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Safari/537.36 Edg/124.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
    "like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Mobile Safari/537.36",
)
"""Desktop agents first; the last two are phones (second devices use them)."""
DESKTOP_AGENTS: Final = 4
