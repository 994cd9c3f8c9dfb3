"""Search terms of work orders (pure): what an order is indexed by and what a search asks for."""
import pytest

from contactcenter.tickets.terms import MAX_QUERY_TERMS, NoSearchTerms, order_terms, query_terms


def test_an_order_is_indexed_by_the_character_pairs_of_its_chinese_and_its_whole_latin_words():
    assert order_terms("路灯不亮了", "堂邑镇", None, "ＷｉＦｉ6 信号") == [
        "路灯", "灯不", "不亮", "亮了", "堂邑", "邑镇", "wifi6", "信号"]
    # a lone character stands for nothing a search asks for; repeats are kept once
    assert order_terms("灯", "路灯路灯") == ["路灯", "灯路"]
    assert order_terms("！！", "") == []
    # invisible characters pasted from SMS or a web page do not split the pairs
    assert order_terms("路\u200b灯坏\u00ad了") == ["路灯", "灯坏", "坏了"]


def test_a_search_asks_for_the_pairs_of_its_words_without_stop_words():
    assert query_terms("路灯") == ["路灯"]
    # a lone character pairs with its neighbour word, so one town is not taken for another
    assert query_terms("朝城镇") == ["朝城", "城镇"] and query_terms("东昌湖") == ["东昌", "昌湖"]
    assert query_terms("路灯不亮") == ["路灯", "灯不", "不亮"]  # jieba: 路 / 灯不亮
    # a dictionary word is asked for by the words inside it, so their order does not matter
    assert query_terms("提取公积金") == ["提取", "公积", "积金"]
    assert query_terms("东昌府区") == ["东昌", "府区", "昌府"]  # 东昌府 + 府区 (never 区古 across words)
    # 不 and 没 carry the complaint; filler does not
    assert query_terms("不亮") == ["不亮"] and query_terms("工资不发") == ["工资", "不发"]
    assert query_terms("小区的电梯") == ["小区", "电梯"]  # 的 dropped: no 区的 / 的电 asked for
    assert query_terms("公积金") == ["公积", "积金"]
    assert query_terms("堂邑") == ["堂邑"]  # not in the dictionary: 堂 / 邑 put back together
    assert query_terms("ＥＴＣ 5G") == ["etc", "5g"]


def test_what_people_type_finds_the_order_that_says_it():
    order = set(order_terms("路灯不亮", "东昌府区古楼街道某小区电梯三天两头坏，住房公积金也提不出来"))
    for typed in ("路灯", "灯不亮", "小区的电梯", "古楼街道", "公积金", "住房公积金", "电梯 公积金"):
        assert set(query_terms(typed)) <= order, typed
    assert not set(query_terms("路灯 燃气")) <= order


def test_a_long_search_asks_for_its_first_terms_only():
    pasted = "住房公积金提取太慢了怎么办啊我们小区的电梯坏了好几天"
    # the first pair of every piece first (住房 公积金 提取 太慢 小区 电梯 坏了 好几天), so the
    # subject is not crowded out by a long place or opening
    assert query_terms(pasted) == ["住房", "公积", "提取", "太慢", "小区", "电梯", "坏了", "好几"]
    assert len(query_terms("".join(chr(0x4E00 + 7 * i) for i in range(100)))) == MAX_QUERY_TERMS


@pytest.mark.parametrize("typed", ["灯", "的了", "！！", "  ", "我们怎么办"])
def test_nothing_to_look_for_is_said(typed):
    with pytest.raises(NoSearchTerms, match="至少两个字"):
        query_terms(typed)


def test_every_piece_of_a_request_an_operator_might_type_finds_it():
    # ten random 2-4 character Chinese pieces of each labelled request (seeded): each that holds
    # a term at all must find its request; jieba's own words found 808 of these 1,780
    import random

    from contactcenter.routing.suggest import labelled_requests

    rng = random.Random(3)
    asked = found = 0
    for _category, request in labelled_requests():
        indexed = set(order_terms(request))
        for _ in range(10):
            n = rng.choice([2, 3, 4])
            start = rng.randrange(0, max(1, len(request) - n))
            piece = request[start:start + n]
            if len(piece) < n or not all("\u4e00" <= c <= "\u9fff" for c in piece):
                continue
            try:
                wanted = query_terms(piece)
            except NoSearchTerms:
                continue  # only stop words or lone characters: refused with a message
            asked += 1
            found += set(wanted) <= indexed
    assert (asked, found) == (1780, 1780)


def test_every_place_and_unit_name_finds_itself_and_a_town_not_its_neighbour():
    from contactcenter.routing.suggest import seed_units

    names = {n for u in seed_units() for n in [u["name"], u["short_name"], *u["places"], *u["aliases"]] if n}
    assert len(names) == 243
    assert [n for n in sorted(names) if not set(query_terms(n)) <= set(order_terms(n))] == []
    towns = [n for n in names if n.endswith("镇")]
    # (古城镇 finding 东古城镇 is right: it is written there)
    wrong = [(a, b) for a in towns for b in towns if a not in b and set(query_terms(a)) <= set(order_terms(b))]
    assert wrong == []
