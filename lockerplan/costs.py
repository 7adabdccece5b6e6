"""Last-mile prices: what a day of deliveries costs and emits (prices only).

A day of deliveries costs

    vans used x ``vehicle_per_day``
    + km x ``energy_per_km``
    + driver hours x ``driver_per_hour``
    + open cabinets x ``cabinet_per_day`` + open pickup points x ``pickup_point_per_day``

and emits km x ``co2_kg_per_km``. This module is a leaf: routing prices its
objective with :class:`CostModel`, and :mod:`lockerplan.pipeline.kpis` turns
routes into priced days (:func:`~lockerplan.pipeline.kpis.delivery_kpis`,
:func:`~lockerplan.pipeline.kpis.compare_last_mile`).

Default figures (EUR, 2023-2024, Western/Northern Europe; change them in the
scenario for your market):

======================  =======  ==========================================================
parameter               default  source / reasoning
======================  =======  ==========================================================
vehicle_per_day         40       full-service lease of a 3.5 t panel van, about EUR 800-900
                                 per month (insurance included) over 21 working days
energy_per_km           0.15     diesel van at 8.5 l/100 km x EUR 1.75/l; an electric van
                                 (25 kWh/100 km x EUR 0.25/kWh) is about 0.06
driver_per_hour         30       Eurostat, hourly labour costs 2023: EU average EUR 31.8
                                 (employer cost, all sectors; transport close to it)
cabinet_per_day         10       cabinet of ~100 compartments, EUR 15-25 k written off over
                                 7 years (~EUR 7/day) + site rent, power, data, service
pickup_point_per_day    6        shop partner fee, usually EUR 0.3-0.5 per parcel; ~15
                                 parcels/day as a fixed daily equivalent
co2_kg_per_km           0.25     UK DESNZ GHG conversion factors 2023, "vans, average (up
                                 to 3.5 t), diesel": about 0.25 kg CO2e per km
======================  =======  ==========================================================

The door-to-door baseline's first-attempt failure rate (10 %) is in the range
reported for European home delivery: 12 % in Edwards, McKinnon & Cullinane (2010),
"Comparative analysis of the carbon footprints of conventional and online retailing",
IJPDLM 40(1/2); 5-15 % in carrier and IMRG surveys.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np

from .errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd


@dataclass(frozen=True)
class CostModel:
    """Daily last-mile costs and emissions.

    Parameters
    ----------
    vehicle_per_day : float, default 40
        Cost of a van used on a day (lease, insurance), currency per day.
    energy_per_km : float, default 0.15
        Fuel or electricity per km driven.
    driver_per_hour : float, default 30
        Driver cost per hour (employer's cost).
    cabinet_per_day : float, default 10
        Fixed cost of an open cabinet (locker) per day.
    pickup_point_per_day : float, default 6
        Fixed cost of an open pickup point per day.
    co2_kg_per_km : float, default 0.25
        Emissions per van km, kg CO2e.
    currency : str, default "EUR"
        Label of the money unit.

    Examples
    --------
    >>> CostModel(energy_per_km=0.06, co2_kg_per_km=0.05).driver_per_hour
    30.0
    """

    vehicle_per_day: float = 40.0
    energy_per_km: float = 0.15
    driver_per_hour: float = 30.0
    cabinet_per_day: float = 10.0
    pickup_point_per_day: float = 6.0
    co2_kg_per_km: float = 0.25
    currency: str = "EUR"

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if name == "currency":
                if not isinstance(value, str) or not value:
                    raise InputError(f"costs.currency must be a text label, got {value!r}.")
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InputError(f"costs.{name} must be a number >= 0, got {value!r}.")
            if not math.isfinite(value) or value < 0:
                raise InputError(f"costs.{name} must be a finite number >= 0, got {value!r}.")
            object.__setattr__(self, name, float(value))


def site_cost_per_day(sites: gpd.GeoDataFrame | None, costs: CostModel) -> float:
    """Fixed daily cost of the open sites (``kind``: cabinet or pickup_point).

    A cabinet site costs ``cabinet_per_day`` per cabinet module (its ``modules``
    column; one module without it); a pickup point costs ``pickup_point_per_day``.
    Sites without a ``kind`` column count as cabinets.

    Examples
    --------
    >>> import pandas as pd
    >>> site_cost_per_day(pd.DataFrame({"kind": ["cabinet", "pickup_point"]}), CostModel())
    16.0
    >>> site_cost_per_day(pd.DataFrame({"kind": ["cabinet"], "modules": [3]}), CostModel())
    30.0
    """
    if sites is None or len(sites) == 0:
        return 0.0
    pickup = (
        (sites["kind"].astype(str) == "pickup_point").to_numpy()
        if "kind" in sites
        else np.zeros(len(sites), dtype=bool)
    )
    modules = sites["modules"].to_numpy(dtype=float) if "modules" in sites else np.ones(len(sites))
    return float(
        modules[~pickup].sum() * costs.cabinet_per_day + pickup.sum() * costs.pickup_point_per_day
    )
