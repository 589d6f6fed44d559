from tests.ads.schedules import _no_ad_schedules_left_behind

__all__ = ["_no_ad_schedules_left_behind"]
