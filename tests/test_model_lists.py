from mmchat.model_lists import ModelListCache


def test_fresh_entries_are_returned_and_stale_ones_are_not(tmp_path):
    cache = ModelListCache(tmp_path / "lists.json", ttl_s=100)
    cache.put("lab", "http://a/v1", ["m1", "m2"], now=1000)
    reread = ModelListCache(tmp_path / "lists.json", ttl_s=100)
    assert reread.get("lab", "http://a/v1", now=1050) == ["m1", "m2"]
    assert reread.get("lab", "http://a/v1", now=1101) is None
    assert reread.get("lab", "http://b/v1", now=1050) is None  # another endpoint


def test_a_corrupt_cache_is_ignored(tmp_path):
    path = tmp_path / "lists.json"
    path.write_text("{not json")
    cache = ModelListCache(path)
    assert cache.get("lab", "x") is None
    cache.put("lab", "x", ["m"])
    assert ModelListCache(path).get("lab", "x") == ["m"]
