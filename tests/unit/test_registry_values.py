"""GB/T 28181 device IDs, credential masking and WGS-84/GCJ-02 conversion."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from camera_registry.coordinates import bd09_to_gcj02, gcj02_to_bd09, gcj02_to_wgs84, wgs84_to_gcj02
from camera_registry.credentials import mask_text, mask_url, strip_credentials, with_credentials
from camera_registry.gb28181 import InvalidDeviceId, parse_device_id


def test_device_id_is_split_into_its_parts() -> None:
    parsed = parse_device_id("52062600001320000001", county_code="520626")
    assert parsed.centre == "52062600"
    assert parsed.division == "520626"
    assert parsed.industry == "00"
    assert parsed.type_code == "132"
    assert parsed.network == "0"
    assert parsed.serial == "000001"
    assert str(parsed) == "52062600001320000001"


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("5206260000132000001", "20 digits"),
        ("5206260000132000000a", "20 digits"),
        ("52062600001110000001", "not a camera"),
        ("52010200001320000001", "not 520626"),
    ],
)
def test_bad_device_ids_are_refused_with_the_reason(value: str, why: str) -> None:
    with pytest.raises(InvalidDeviceId, match=why):
        parse_device_id(value, county_code="520626")


def test_masked_url_hides_user_and_password() -> None:
    assert (
        mask_url("rtsp://admin:s3cret@10.1.2.3:554/h264/ch1/sub")
        == "rtsp://***@10.1.2.3:554/h264/ch1/sub"
    )
    assert mask_url("rtsp://10.1.2.3/live") == "rtsp://10.1.2.3/live"


def test_masking_free_text_hides_every_url_password() -> None:
    text = "open 'rtsp://admin:p@ss@10.0.0.1/live' failed; retry http://u:pw@h/x"
    masked = mask_text(text)
    assert "p@ss" not in masked and "pw@" not in masked and "admin" not in masked
    assert "rtsp://***@10.0.0.1/live" in masked


@given(
    user=st.text(
        st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=12
    ),
    password=st.text(
        st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=12
    ),
)
def test_credentials_survive_a_round_trip_through_the_url(user: str, password: str) -> None:
    url = with_credentials("rtsp://10.0.0.9:554/ch1", user, password)
    bare, got_user, got_password = strip_credentials(url)
    assert bare == "rtsp://10.0.0.9:554/ch1"
    assert (got_user, got_password) == (user, password)
    assert mask_url(url) == "rtsp://***@10.0.0.9:554/ch1"


def test_gcj02_matches_the_published_beijing_example() -> None:
    # The widely cited check point: WGS-84 (39.915, 116.404) -> GCJ-02 (39.916404, 116.410244).
    lat, lon = wgs84_to_gcj02(39.915, 116.404)
    assert lat == pytest.approx(39.916404, abs=1e-6)
    assert lon == pytest.approx(116.410244, abs=1e-6)


def test_outside_china_gcj02_is_wgs84() -> None:
    assert wgs84_to_gcj02(51.5, -0.12) == (51.5, -0.12)


@given(lat=st.floats(24.0, 42.0), lon=st.floats(100.0, 122.0))
def test_gcj02_inverse_round_trips_within_a_centimetre(lat: float, lon: float) -> None:
    back = gcj02_to_wgs84(*wgs84_to_gcj02(lat, lon))
    assert back[0] == pytest.approx(lat, abs=1e-7)
    assert back[1] == pytest.approx(lon, abs=1e-7)


@given(lat=st.floats(24.0, 42.0), lon=st.floats(100.0, 122.0))
def test_bd09_and_gcj02_transforms_invert_each_other(lat: float, lon: float) -> None:
    # The published inverse is approximate: within 5e-6 degrees, about half a metre.
    back = bd09_to_gcj02(*gcj02_to_bd09(lat, lon))
    assert back[0] == pytest.approx(lat, abs=5e-6)
    assert back[1] == pytest.approx(lon, abs=5e-6)


def test_bd09_is_offset_north_east_of_gcj02_by_the_known_amount() -> None:
    # Baidu's datum sits roughly 0.006° north and 0.0065° east of GCJ-02 in China.
    lat, lon = gcj02_to_bd09(28.2568, 108.1245)
    assert 0.005 < lat - 28.2568 < 0.007 and 0.006 < lon - 108.1245 < 0.0075
