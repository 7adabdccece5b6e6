"""The ``costs`` section: prices, the door-to-door baseline and the business case.

Sources of the defaults (:mod:`lockerplan.costs` holds the table and the reasoning):
a van's full-service lease of EUR 800-900 a month over 21 working days (40 a day);
diesel at 8.5 l/100 km x EUR 1.75/l (0.15 a km; about 0.06 electric); Eurostat's
hourly labour cost 2023, EU average EUR 31.8 (30 an hour); a cabinet of ~100
compartments, EUR 15-25 k over 7 years plus rent, power and service (10 a day); a
shop partner's fee (6 a day); UK DESNZ 2023, diesel vans up to 3.5 t (0.25 kg CO2e a
km); 10 % failed first attempts (Edwards, McKinnon & Cullinane 2010: 12 %; carrier
surveys 5-15 %); adoption 0.7 x exp(-walk / 1000 m) (assumptions, reasoned in
:mod:`lockerplan.costs`); customers' pickup trips walked, driven or otherwise by the
walk's length as everyday trips are (Transport Scotland 2017), half of the driven ones
chained with a trip made anyway, at 0.17 kg CO2e a car km (:mod:`lockerplan.pickup`).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..pickup import MODES as PICKUP_MODES
from .checks import Choice, Flag, Number, Text, Whole
from .fields import Cli, Section, setting

_MONEY = Number(allow_zero=True)


@dataclass(frozen=True, kw_only=True)
class CostParams(Section):
    """Daily last-mile prices and emissions, and the business case's assumptions.

    :class:`lockerplan.costs.CostModel` is this class: routing prices its objective
    with it and :mod:`lockerplan.costs` prices the days of routes.

    Examples
    --------
    >>> CostParams(energy_per_km=0.06, co2_kg_per_km=0.05).driver_per_hour
    30.0
    >>> CostParams(energy_per_km=-1)
    Traceback (most recent call last):
    ...
    lockerplan.errors.InputError: costs.energy_per_km must be a number >= 0, got -1.
    """

    section = "costs"

    currency: str = setting("EUR", check=Text(), help="Currency of all costs")
    vehicle_per_day: float = setting(
        40.0,
        unit="currency/day",
        check=_MONEY,
        help="Van lease and insurance, per van (a 3.5 t van's full-service lease, EUR "
        "800-900 a month over 21 working days)",
    )
    energy_per_km: float = setting(
        0.15,
        unit="currency/km",
        check=_MONEY,
        help="Energy per km driven (diesel at 8.5 l/100 km x EUR 1.75/l; about 0.06 for an "
        "electric van)",
    )
    driver_per_hour: float = setting(
        30.0,
        unit="currency/hour",
        check=_MONEY,
        help="Driver's wage, employer's cost (Eurostat 2023: EU average EUR 31.8 an hour)",
    )
    cabinet_per_day: float = setting(
        10.0,
        unit="currency/day",
        check=_MONEY,
        help="Cost of one cabinet module (EUR 15-25 k over 7 years, plus site rent, power, "
        "data and service)",
    )
    pickup_point_per_day: float = setting(
        6.0,
        unit="currency/day",
        check=_MONEY,
        help="Fee of one pickup point (a shop's EUR 0.3-0.5 per parcel, about 15 parcels a day)",
    )
    co2_kg_per_km: float = setting(
        0.25,
        unit="kg/km",
        check=_MONEY,
        help="CO2 emitted per van km (UK DESNZ 2023: diesel vans up to 3.5 t, 0.25 kg CO2e)",
    )
    door_to_door: bool = setting(
        True,
        check=Flag(),
        help="Route the door-to-door baseline too",
        cli=Cli(
            name="--no-door-to-door",
            flag=False,
            help="Skip the door-to-door baseline (lockers vs home delivery) to save time",
        ),
    )
    failure_rate: float | None = setting(
        None,
        unit="share",
        check=Number(allow_zero=True, below=1),
        cli=True,
        none="the country's (Parcel Monitor Q1 2024: GB 4.9 %, DE 7.2 %)",
        help="Share of first home-delivery attempts that fail and are re-delivered",
    )
    handover_s: int = setting(
        90,
        unit="seconds",
        check=Whole(low=0),
        help="Time per parcel at the door (assumed)",
    )
    adoption_share: float | None = setting(
        None,
        unit="share",
        check=Number(upto=1),
        cli=True,
        none="the country's out-of-home share where lockers are dense",
        help="Share of covered customers who collect at the locker when it stands at their "
        "door; the rest stay with home delivery",
    )
    adoption_scale_m: float = setting(
        1000.0,
        unit="metres",
        check=Number(),
        cli=True,
        help="Adoption falls with the walk as exp(-walk / scale): at 400 m, 67 % of the "
        "share at the door (assumed)",
    )
    pickup: str = setting(
        "mixed",
        check=Choice(PICKUP_MODES),
        cli=Cli(metavar="MODE"),
        help="How customers reach a locker: mixed (walked, driven or otherwise by the "
        "walk's length, as everyday trips are: Transport Scotland 2017) or walk (every "
        "pickup on foot, as in TNO's comparison)",
    )
    chained_share: float = setting(
        0.5,
        unit="share",
        check=Number(allow_zero=True, upto=1),
        help="Share of driven pickups made on a trip made anyway, adding no km (assumed; "
        "59.7 % of Polish locker users name 'while handling other matters', SW Research "
        "2021)",
    )
    car_co2_kg_per_km: float = setting(
        0.17,
        unit="kg CO2e/km",
        check=Number(allow_zero=True),
        help="Emissions of a customer's car per km (an average petrol car)",
    )
