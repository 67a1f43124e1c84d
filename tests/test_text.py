import pytest

from roster.text import fold, name_search_key, normalize_email, normalize_phone, phone_digits


def test_fold_is_case_insensitive_in_every_alphabet():
    assert fold("ИВАНОВ Пётр") == "иванов петр"
    assert fold("Straße") == "strasse"
    assert name_search_key("ИВАНОВ", "Пётр", "") == "иванов петр"


@pytest.mark.parametrize("written", ["+7 701 123-45-67", "87011234567", "701 123 45 67", "+7 (701) 123 45 67"])
def test_every_way_of_writing_a_phone_gives_the_same_number(written):
    assert normalize_phone(written) == "+77011234567"
    assert phone_digits(written) == "7011234567"


@pytest.mark.parametrize("bad", ["12345", "call me", "+7 701 123 45 67 ext 5", "7011234567890123456"])
def test_bad_phones_are_refused_with_a_message(bad):
    with pytest.raises(ValueError, match="phone"):
        normalize_phone(bad)


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
