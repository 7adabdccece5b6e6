"""Sources quoted for several countries, and the figures lockerplan derives or assumes
the same way for several countries (:mod:`lockerplan.presets`)."""

from __future__ import annotations

from .model import Figure, Source

# --------------------------------------------------------------------------- sources
# Shared sources (one figure quoted for several countries).

LME_2022 = (
    "Last Mile Experts",
    2022,
    "out-of-home deliveries 'close to 50 %' in the Nordics, France, Germany, Romania, "
    "Czech Republic, Hungary and Poland (Out of home delivery in Europe 2022)",
    "claimed",
    "https://parcelandpostaltechnologyinternational.com/analysis/"
    "lockers-and-pudos-taking-europe-by-storm.html",
)
PARCEL_MONITOR_DWELL = Source(
    "Parcel Monitor",
    2021,
    "time parcels wait at collection points before pickup: 34-37 h on average in Europe "
    "(67 h in Asia), tracking data",
    "measured",
    "https://parcelandpostaltechnologyinternational.com/news/lockers-pudo/"
    "time-needed-to-collect-parcels-nearly-double-for-customers-in-asia-finds-research.html",
    "35.5 h = 1.5 days. A figure for Europe as a whole, not for this country alone.",
)
PARCEL_MONITOR_Q1_2024 = (
    "Parcel Monitor",
    2024,
    "first-attempt delivery success of domestic e-commerce parcels, Q1 2024, tracking data",
    "measured",
    "https://parcelandpostaltechnologyinternational.com/analysis/"
    "insight-unpacking-e-commerce-logistics-in-europe-q1-2024.html",
)
INPOST_ABROAD = Source(
    "InPost",
    2023,
    "1.149 M compartments in 13,480 parcel lockers outside Poland at the end of 2023",
    "measured",
    "https://polandinsight.com/inpost-group-continues-to-grow-in-2023-delivering-"
    "892-million-parcels-24854/",
    "1.149 M / 13,480 = 85 per locker. InPost's lockers outside Poland as a whole "
    "(United Kingdom, France, Italy, Spain, Portugal, Benelux), not this country alone.",
)
EUROSTAT_2022 = (
    "Eurostat",
    2022,
    "average number of persons per private household (reported by Niedziela.be)",
    "measured",
    "https://niedziela.be/wiadomosci/belgia/"
    "belgia-gospodarstwa-domowe-w-belgii-mniej-liczne-ni%C5%BC-w-polsce",
)


def failed_assumed(where: str) -> Source:
    return Source(
        "lockerplan",
        2024,
        "failed first home-delivery attempts",
        "assumed",
        note=f"No tracking figure for {where} was found. 6 % is the mean of the two "
        "markets Parcel Monitor reports for Q1 2024 (United Kingdom 4.9 %, Germany "
        "7.2 % failed first attempts; parcelandpostaltechnologyinternational.com).",
    )


#: Gross floor area (footprint x levels) per m² of living space: walls, stairs and
#: shared space. lockerplan's assumption; no national gross-to-net ratio was checked.
GROSS_PER_NET = 1.25


def floor_area(net_m2: float, *source: str, note: str = "") -> Figure:
    """Gross floor area per dwelling from a published living space per dwelling."""
    publisher, year, measures, url = source
    derivation = f"{net_m2:g} m² x {GROSS_PER_NET:g} (walls, stairs, shared space; assumed)."
    return Figure(
        round(net_m2 * GROSS_PER_NET, 1),
        "m²",
        Source(
            publisher,
            int(year),
            measures,
            "measured",
            url,
            f"{derivation} {note}".strip(),
        ),
    )


def floor_area_assumed(where: str, context: str) -> Figure:
    return Figure(
        80.0,
        "m²",
        Source(
            "lockerplan",
            2024,
            "gross floor area per dwelling",
            "assumed",
            note=f"No average living space per dwelling for {where} was found; "
            f"lockerplan's default (64 m² of living space per Helsinki dwelling, "
            f"Statistics Finland, x {GROSS_PER_NET:g}) is used. {context}",
        ),
    )


def untyped_assumed() -> Figure:
    return Figure(
        0.5,
        "share",
        Source(
            "lockerplan",
            2024,
            "residential share of untyped buildings' floor area",
            "assumed",
            note="Not fitted: lockerplan's data hold no population grid over this "
            "country's OSM buildings. Half: city-centre perimeter blocks with shops "
            "below flats. Fit it on your area with lockerplan.demand.fit.",
        ),
    )


def dense_assumed(where: str, region: str) -> Figure:
    return Figure(
        0.10,
        "share",
        Source(
            "lockerplan",
            2021,
            "share of parcels collected out of home where lockers are dense",
            "assumed",
            note=f"No figure for {where} was found. Parcel Monitor (Q3 2021, tracking "
            f"data) found the largest out-of-home share of last-mile deliveries in "
            f"Oceania (13.4 %), {region} lower; 10 % is taken.",
        ),
    )


def compartments_assumed(where: str) -> Figure:
    return Figure(
        100.0,
        "compartments",
        Source(
            "lockerplan",
            2018,
            "compartments per parcel locker",
            "assumed",
            note=f"No compartment count for {where} was found. About 100 is DHL's "
            "Packstation average (3,400 machines with over 340,000 compartments, 2018).",
        ),
    )
