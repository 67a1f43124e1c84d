"""The national identifier's checks with published numbers (not only numbers this code made): IIN from the public
examples of valery1707/kaz-person-id (MIT; its source: https://serj.ws/salyk) and the README examples of
tlgtaa/py-kz-validators and ZhymabekRoman/kz-iin-validator; SNILS from the Pension Fund's example 112-233-445 95
and the tests of vasiunov/SNILS_CheckAndCount."""

from datetime import date

import pytest

from roster import national_id
from roster.national_id import IIN, SNILS, Invalid


@pytest.mark.parametrize("number, born, gender", [
    ("871008401427", date(1987, 10, 8), "female"), ("760212350620", date(1976, 2, 12), "male"),
    ("800416300257", date(1980, 4, 16), "male"), ("680503450037", date(1968, 5, 3), "female"),
    ("800416100254", date(1880, 4, 16), "male"), ("680503250034", date(1868, 5, 3), "female"),
    ("791028302728", date(1979, 10, 28), "male"), ("061211600012", date(2006, 12, 11), "female"),
])
def test_published_iins_are_valid_and_say_the_birth_date_and_sex(number, born, gender):
    assert national_id.check(IIN, number) == (number, national_id.Decoded(born, gender))


@pytest.mark.parametrize("typed", ["8710 0840 1427", "871008-401427", " 871008 401 427 "])
def test_spaces_and_dashes_are_removed(typed):
    assert national_id.check(IIN, typed)[0] == "871008401427"


@pytest.mark.parametrize("number, reason", [
    ("871008401428", "check digit"),  # the last digit changed
    ("871008401327", "check digit"),  # another digit changed (one weighed 11 would not change the sum mod 11)
    ("87100840142", "length"), ("8710084014270", "length"),
    ("87100840142A", "not digits"), ("８７１００８４０１４２７", "not digits"),  # full-width digits
    ("871308401427", "birth date"),  # the 13th month
    ("871008001427", "century"), ("871008701427", "century"),
])
def test_a_wrong_iin_says_why(number, reason):
    with pytest.raises(Invalid) as refused:
        national_id.check(IIN, number)
    assert refused.value.code == reason


def test_the_second_weighing_of_an_iin_and_a_number_none_can_end():
    assert national_id.iin_check_digit("00001000060") == 2  # the first weighing gives 10; the second, 2
    assert national_id.iin_check_digit("00001000064") is None  # both give 10: no IIN begins so


@pytest.mark.parametrize("number", ["112-233-445 95", "11223344595", "342 932 447 76", "001-001-998 00"])
def test_published_snils_are_valid(number):
    assert national_id.check(SNILS, number)[0] == "".join(c for c in number if c.isdigit())


@pytest.mark.parametrize("number, reason", [
    ("112-233-445 96", "check digit"), ("001-001-999 00", "check digit"), ("112-233-445", "length"),
    ("112-233-445 9x", "not digits"),
])
def test_a_wrong_snils_says_why(number, reason):
    with pytest.raises(Invalid) as refused:
        national_id.check(SNILS, number)
    assert refused.value.code == reason


def test_snils_check_numbers_at_the_edges_of_100_and_101():
    assert national_id.snils_check_number("100018999") == 0  # a sum of 100: 00
    assert national_id.snils_check_number("999999999") == 1  # a sum of 405: mod 101
    assert national_id.snils_check_number("112233445") == 95


def test_the_schools_country_decides_the_identifier_and_how_it_is_written():
    assert (national_id.kind_for("KZ"), national_id.kind_for("ru"), national_id.kind_for("GB")) == (IIN, SNILS, None)
    assert national_id.shown(SNILS, "11223344595") == "112-233-445 95"
    assert national_id.shown(IIN, "871008401427") == "871008401427"
