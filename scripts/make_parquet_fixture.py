"""Writes tests/data/hf_style.parquet the way Hugging Face `datasets` stores a text split:
snappy pages, dictionary encoding, an int64 id, a nested metadata struct, a list column, a null
text and two row groups. Run once with pyarrow installed; the output is committed."""
import pyarrow as pa
import pyarrow.parquet as pq

rows = {
    "id": [101, 102, 103, 104, 105],
    "text": [
        "Azərbaycan Respublikasının Mülki Məcəlləsi",
        "Bakı şəhəri Xəzər dənizinin sahilində yerləşir.",
        None,
        "İnsan hüquqları bəyannaməsi",
        "Bakı şəhəri Xəzər dənizinin sahilində yerləşir.",
    ],
    "meta": [{"source": "law", "year": 1999}, {"source": "news", "year": 2020},
             {"source": "news", "year": 2021}, {"source": "udhr", "year": 1948},
             {"source": "news", "year": 2020}],
    "tags": [["hüquq"], ["xəbər", "Bakı"], [], ["hüquq"], ["xəbər"]],
}
table = pa.table(rows)
pq.write_table(table, "tests/data/hf_style.parquet", compression="snappy",
               row_group_size=3, use_dictionary=True)
