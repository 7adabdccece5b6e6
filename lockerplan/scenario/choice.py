"""The ``choice`` section: how customers choose between home delivery and the sites.

``--choice mnl`` (the default) is a multinomial logit of home delivery, our sites
and rivals' sites within the walk (:mod:`lockerplan.choice`); its home utility is
calibrated so that the customers with a site in reach send ``out_of_home_share``
of their parcels out of home (the country's out-of-home share unless given).
``--choice decay`` keeps the fixed curve ``adoption_share x exp(-walk /
adoption_scale_m)`` of the costs section. The coefficients' reasoning is in
:mod:`lockerplan.choice`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..choice import CHOICE_MODELS
from .checks import Choice, Flag, Number
from .fields import Cli, Section, setting

#: What a plan under customers' choice is sited for (``site_by``).
SITE_BY = ("coverage", "choice")


@dataclass(frozen=True, kw_only=True)
class ChoiceParams(Section):
    """How customers choose between home delivery, our sites and rivals' sites.

    Examples
    --------
    >>> ChoiceParams().choice_model
    'mnl'
    >>> ChoiceParams(out_of_home_share=1.0)
    Traceback (most recent call last):
    ...
    lockerplan.errors.InputError: --out-of-home-share must be below 1, got 1.0.
    """

    section = "choice"

    choice_model: str = setting(
        "mnl",
        check=Choice(CHOICE_MODELS),
        cli=Cli(name="--choice", metavar="MODEL"),
        help="How customers choose: mnl (a multinomial logit of home delivery, our sites "
        "and rivals' sites within the walk, calibrated to the out-of-home share) or decay "
        "(a fixed share falling with the walk, adoption_share x exp(-walk / "
        "adoption_scale_m); a rival nearer than our sites takes the customer)",
    )
    out_of_home_share: float | None = setting(
        None,
        unit="share",
        check=Number(below=1),
        cli=True,
        none="the country's out-of-home share",
        help="mnl: share of the parcels of customers with a site in reach that go out of "
        "home; the home utility is calibrated to it (your observed share, or the country's)",
    )
    walk_utility_per_km: float = setting(
        1.0,
        unit="per km",
        check=Number(least=0.01, upto=100),
        help="mnl: utility a site loses per km walked to it: attraction exp(-walk / 1 km) "
        "(assumed, the form of the decay curve; the walk is the main determinant of locker "
        "choice in stated-preference surveys, Iannaccone, Marcucci & Gatta 2021)",
    )
    discount_utility: float = setting(
        0.5,
        unit="per currency",
        check=Number(allow_zero=True, upto=100),
        help="mnl: utility a discount of 1 (currency) on locker delivery adds: worth 500 m "
        "less walking (assumed)",
    )
    site_by: str = setting(
        "coverage",
        check=Choice(SITE_BY),
        cli=Cli(metavar="OBJECTIVE"),
        help="mnl: what the siting maximises: coverage (the siting model's own objective, "
        "then customers choose among the sites it opens) or choice (the parcels customers "
        "bring our sites under the MNL, with capacities for cmclp: a MILP whose bound is "
        "weak where choice sets overlap, so it often stops at its time limit with a gap)",
    )
    locker_discount: float = setting(
        0.0,
        unit="currency/parcel",
        check=Number(allow_zero=True, upto=1000),
        cli=True,
        help="mnl: discount offered on every parcel delivered to our lockers; customers "
        "choose with it and the business case pays it",
    )
    price_zones: bool = setting(
        False,
        check=Flag(),
        cli=Cli(flag=True),
        help="mnl: price locker delivery by zone (the coverage grid's cells): per zone the "
        "discount that saves the carrier most, discounts paid included; the business "
        "case is routed at those prices (pricing.csv, summary.json's pricing)",
    )
