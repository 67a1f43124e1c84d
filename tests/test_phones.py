"""Phones in the school's country (libphonenumber): set by the platform admin, used by every way in."""

import pytest
from sqlalchemy import select

from roster.extensions import db
from roster.models import School, Student
from tests.agent import find_form, follow
from tests.helpers import filter_arg


def stored_student(app, **where):
    with app.app_context():
        return db.session.scalars(select(Student).filter_by(**where)).one()


@pytest.fixture
def british(app, agent, world):
    """Alpha School moved to Britain by the platform admin, on the school's own form."""
    platform = agent("platform")
    page = platform.get(f"/admin/schools/edit/?id={world.school_a.id}")
    # KZ: the default, and the country of every school the migration found.
    assert find_form(page, field="country")["country"].value == "KZ"
    platform.submit(page, field="country", country="GB", expect=(302,))
    with app.app_context():
        assert db.session.get(School, world.school_a.id).country == "GB"
    assert "United Kingdom" in platform.get(f"/admin/schools/details/?id={world.school_a.id}").text
    return platform


def test_a_new_school_is_in_kazakhstan_unless_chosen_otherwise(app, agent):
    platform = agent("platform")
    platform.submit(platform.get("/admin/schools/new/"), field="name", name="Kazakh School", expect=(302,))
    platform.submit(platform.get("/admin/schools/new/"), field="name", name="London School", country="GB",
                    expect=(302,))
    with app.app_context():
        countries = dict(db.session.execute(select(School.name, School.country)).all())
    assert countries["Kazakh School"] == "KZ" and countries["London School"] == "GB"


def test_a_british_phone_at_a_british_school(app, agent, world, british):
    admin = agent("admin_a")
    page = admin.get("/admin/students/new/")
    admin.submit(page, field="last_name", last_name="Smith", first_name="Jane", phone="(020) 7946-0959",
                 expect=(302,))
    jane = stored_student(app, last_name="Smith")
    assert (jane.phone, jane.phone_normalized) == ("(020) 7946-0959", "+442079460959")
    listing = admin.get("/admin/students/").text
    assert "020 7946 0959" in listing  # as Britain writes it
    for query in ("020 7946 0959", "+44 20 7946 0959", "7946", "(020) 7946"):
        found = admin.get("/admin/students/", params={filter_arg(listing, "Phone"): query}).text
        assert "Smith Jane" in found and "Inside Ivan" not in found, query

    refused = admin.submit(admin.get("/admin/students/new/"), field="last_name", last_name="Brown",
                           first_name="Tom", phone="12-34")
    assert "Enter a phone number as United Kingdom writes it, e.g. 07400 123456" in refused.text


def test_eight_is_a_trunk_prefix_only_in_kazakhstan(app, agent, world, british):
    admin = agent("admin_a")
    admin.submit(admin.get("/admin/students/new/"), field="last_name", last_name="Abroad", first_name="Ann",
                 phone="+7 701 123 45 67", expect=(302,))
    assert stored_student(app, last_name="Abroad").phone_normalized == "+77011234567"
    assert "+7 701 123 4567" in admin.get("/admin/students/").text  # international from Britain
    refused = admin.submit(admin.get("/admin/students/new/"), field="last_name", last_name="Trunk",
                           first_name="Tim", phone="8 701 123 45 67 99")
    assert "writes it" in refused.text


def test_kazakh_phones_in_a_kazakh_school(app, agent, world):
    admin = agent("admin_a")
    admin.submit(admin.get("/admin/students/new/"), field="last_name", last_name="Серикова", first_name="Дана",
                 phone="8 701 123 45 67", expect=(302,))
    assert stored_student(app, last_name="Серикова").phone_normalized == "+77011234567"
    listing = admin.get("/admin/students/").text
    assert "8 (701) 123 4567" in listing
    phone = filter_arg(listing, "Phone")
    for query in ("+7 701 123-45-67", "87011234567", "701 123 45 67", "8 701 123", "123 45"):
        assert "Серикова Дана" in admin.get("/admin/students/", params={phone: query}).text, query


def test_import_and_sign_up_read_phones_in_the_schools_country(app, agent, world, british):
    admin = agent("admin_a")
    data = b"Last name,First name,Phone\nImported,Ian,(020) 7946-0960\nBroken,Bob,12-34\n"
    job_page = admin.upload_import("uk.csv", data)
    assert "07400 123456" in job_page.text  # the bad row's reason, with an example of the school's own format
    admin.confirm_import(job_page)
    assert stored_student(app, last_name="Imported").phone_normalized == "+442079460960"

    visitor = agent("anonymous")
    page = visitor.open(f"/join/{world.school_a.signup_token}")
    follow(visitor.submit(page, field="password", last_name="Signed", first_name="Sue", email="sue@pupil.example",
                          phone="07400 123456", password="a long new password",
                          confirm_password="a long new password", accept_notice=True, expect=(302,)))
    assert stored_student(app, last_name="Signed").phone_normalized == "+447400123456"


def test_a_number_with_its_country_code_reads_as_libphonenumber_parses_it():
    """normalize_phone splits "+<code> <digits>" by libphonenumber's table of calling codes instead of parsing it
    (3x faster, for an import of 100,000): every region's example numbers, and 20,000 numbers of random codes,
    lengths and separators, come out exactly as phonenumbers.parse makes them (E.164, and possible or not)."""
    import random

    import phonenumbers

    from roster.text import _international

    rng = random.Random(7)
    samples = []
    for region in phonenumbers.SUPPORTED_REGIONS:
        for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
            if example := phonenumbers.example_number_for_type(region, kind):
                samples += [phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL),
                            phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)]
    codes = sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)
    for _ in range(20_000):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(3, 14)))
        samples.append(f"+{rng.choice(codes)}{rng.choice(['', ' ', '-', ' ('])}{digits[:3]}"
                       f"{rng.choice(['', ' ', '-', ') '])}{digits[3:]}")
    fast = 0
    for text in samples:
        number = _international(text)
        if number is None:
            continue
        fast += 1
        try:
            parsed = phonenumbers.parse(text, "KZ")
        except phonenumbers.NumberParseException:
            parsed = None
        possible = phonenumbers.is_possible_number_with_reason(number) == phonenumbers.ValidationResult.IS_POSSIBLE
        assert possible == (parsed is not None and phonenumbers.is_possible_number_with_reason(parsed)
                            == phonenumbers.ValidationResult.IS_POSSIBLE), text
        if possible:
            assert phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == \
                phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), text
    assert fast > len(samples) * 0.8  # most take the short way
    # And what normalize_phone makes of each (its lengths remembered per calling code): parse's E.164, or refused.
    from roster.text import normalize_phone

    for text in samples:
        try:
            parsed = phonenumbers.parse(text, "KZ")
            expected = (phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
                        if phonenumbers.is_possible_number_with_reason(parsed)
                        == phonenumbers.ValidationResult.IS_POSSIBLE else None)
        except phonenumbers.NumberParseException:
            expected = None
        try:
            got = normalize_phone(text, "KZ")
        except ValueError:
            got = None
        assert got == expected, text
    assert _international("+44 (0) 20 7946 0958") is None and _international("+7 701 123 45 67 ext. 5") is None


def test_a_stored_phone_is_written_as_libphonenumber_formats_it():
    """format_phone chooses libphonenumber's formatting pattern itself, compiled once and remembered per leading
    digits (an export writes 100,000 phones): every region's example numbers of every kind, and 30,000 numbers of
    random codes and lengths, come out exactly as phonenumbers.format_number writes them, at home and abroad."""
    import random

    import phonenumbers

    from roster.text import _stored_number, format_phone

    rng = random.Random(11)
    samples = set()
    for region in phonenumbers.SUPPORTED_REGIONS:
        for kind in phonenumbers.PhoneNumberType.values():
            if example := phonenumbers.example_number_for_type(region, kind):
                samples.add(phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164))
    for code in phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS:  # +800, +882, ...
        if example := phonenumbers.example_number_for_non_geo_entity(code):
            samples.add(phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164))
    codes = sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)
    for sample in list(samples):  # neighbours of real numbers: the same leading digits, other lengths and ends
        for _ in range(4):
            cut = rng.randint(3, len(sample) - 1)
            samples.add(sample[:cut] + "".join(rng.choice("0123456789") for _ in range(rng.randint(0, 4))))
    for _ in range(30_000):
        samples.add(f"+{rng.choice(codes)}" + "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 14))))
    samples |= {"+7000", "+390612345678", "+44", "", "+", "+7abc"}
    for e164 in sorted(samples):
        number = _stored_number(e164)
        for region in ("KZ", "GB", "US", "DE", "IT"):
            if number is None:
                expected = e164
            else:
                home = number.country_code == phonenumbers.country_code_for_region(region)
                expected = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL if home
                                                      else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
            assert format_phone(e164, region) == expected, (e164, region)
