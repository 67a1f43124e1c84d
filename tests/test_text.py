import pytest

from roster.text import (
    fold,
    format_phone,
    name_search_key,
    normalize_email,
    normalize_phone,
    phone_search_digits,
)


def test_fold_is_case_insensitive_in_every_alphabet():
    assert fold("ИВАНОВ Пётр") == "иванов петр"
    assert fold("Straße") == "strasse"
    assert name_search_key("ИВАНОВ", "Пётр", "") == "иванов петр"


@pytest.mark.parametrize("written", ["+7 701 123-45-67", "87011234567", "701 123 45 67", "+7 (701) 123 45 67"])
def test_every_way_of_writing_a_phone_gives_the_same_number(written):
    assert normalize_phone(written, "KZ") == "+77011234567"
    assert format_phone("+77011234567", "KZ") == "8 (701) 123 4567"


@pytest.mark.parametrize(("written", "region", "e164", "shown_at_home", "shown_in_kz"), [
    ("(020) 7946-0959", "GB", "+442079460959", "020 7946 0959", "+44 20 7946 0959"),
    ("+44 20 7946 0959", "KZ", "+442079460959", "+44 20 7946 0959", "+44 20 7946 0959"),
    ("8 (495) 123-45-67", "RU", "+74951234567", "8 (495) 123-45-67", "8 (495) 123-45-67"),  # one +7 plan
    ("(201) 555-0123", "US", "+12015550123", "(201) 555-0123", "+1 201-555-0123"),
])
def test_a_phone_is_read_in_its_schools_country_and_shown_as_that_country_writes_it(
        written, region, e164, shown_at_home, shown_in_kz):
    assert normalize_phone(written, region) == e164
    assert format_phone(e164, region) == shown_at_home
    assert format_phone(e164, "KZ") == shown_in_kz


def test_a_trunk_prefix_is_the_countrys_own():
    # "8 ..." is Kazakhstan's trunk prefix, not Britain's: there it is part of the number or nothing.
    assert normalize_phone("8 701 123 45 67", "KZ") == "+77011234567"
    assert normalize_phone("07400 123456", "GB") == "+447400123456"
    assert phone_search_digits("8 701 12", "KZ") == {"870112", "70112"}
    assert phone_search_digits("0 7400", "GB") == {"07400", "7400"}
    assert phone_search_digits("+7 701", "KZ") == {"7701"}


@pytest.mark.parametrize(("bad", "region", "example"), [
    ("12345", "KZ", "8 (771) 000 9998"), ("call me", "KZ", "8 (771) 000 9998"),
    ("7011234567890123456", "KZ", "8 (771) 000 9998"), ("12-34", "GB", "07400 123456"),
])
def test_bad_phones_are_refused_with_an_example_in_the_schools_format(bad, region, example):
    with pytest.raises(ValueError, match="phone") as refused:
        normalize_phone(bad, region)
    assert example in str(refused.value)


def test_emails_are_trimmed_and_lower_cased():
    assert normalize_email("  Ivan.Petrov@Example.ORG ") == "ivan.petrov@example.org"
    for bad in ("not-an-email", "a@b", "x@example.org\r\nBcc: y@example.org"):
        with pytest.raises(ValueError):
            normalize_email(bad)


def test_the_fast_email_check_agrees_with_email_validator():
    import random
    import string

    from email_validator import EmailNotValidError, validate_email

    cases = ["A.B@Example.ORG", "a..b@example.org", ".a@example.org", "a@-x.org", "a@x.o", "a@x.123",
             "a@localhost", "a@x.test", "ab@xn--80ak6aa92e.com", "a_b@ex_ample.com", "a" * 65 + "@x.com",
             '"quoted"@example.com', "a+b@sub.domain.kz", "user@[127.0.0.1]", "ПЁТР@пример.рф"]
    rng = random.Random(3)
    chars = string.ascii_letters + "0123456789.-_+@"
    cases += ["".join(rng.choice(chars) for _ in range(rng.randint(3, 15))) + rng.choice(["@ex.org", "@a.b.kz",
              ".org", "@e..x.com", "@x-.com"]) for _ in range(3000)]
    for case in cases:
        try:
            expected = validate_email(case, check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            expected = None
        try:
            got = normalize_email(case)
        except ValueError:
            got = None
        assert got == expected, case
