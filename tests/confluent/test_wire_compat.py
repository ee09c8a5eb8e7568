"""Wire compatibility between evreg-client and Confluent's own Python client.

Bytes our serializer writes decode with confluent_kafka's AvroDeserializer and
JSONDeserializer, and bytes theirs write decode with ours, value for value.

The Rust side is `registry/client/examples/wire.rs` (its path in EVREG_WIRE_BIN);
both sides use the schemas under registry/client/examples/schemas. Run through
.ci/confluent.sh, which builds the example, starts evreg and sets EVREG_URL.
"""

import datetime
import decimal
import json
import os
import pathlib
import subprocess
import uuid

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

URL = os.environ.get("EVREG_URL", "http://127.0.0.1:8081")
ROOT = pathlib.Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "registry" / "client" / "examples" / "schemas"
AVRO_SCHEMA = (SCHEMAS / "order_created.avsc").read_text()
JSON_SCHEMA = (SCHEMAS / "customer_registered.json").read_text()
# The subjects the Rust types register under (TopicRecordNameStrategy).
AVRO_SUBJECT = "orders-wire.OrderCreated"
JSON_SUBJECT = "customers-CustomerRegistered"


@pytest.fixture(scope="module")
def wire_bin():
    path = os.environ.get("EVREG_WIRE_BIN")
    if not path or not os.access(path, os.X_OK):
        pytest.fail(
            "EVREG_WIRE_BIN must name the built wire example "
            "(cargo build -p evreg-client --example wire); .ci/confluent.sh sets it"
        )
    return path


@pytest.fixture
def client():
    return SchemaRegistryClient({"url": URL})


def rust(wire_bin, *args):
    done = subprocess.run(
        [wire_bin, *args], env={**os.environ, "EVREG_URL": URL}, capture_output=True, text=True
    )
    assert done.returncode == 0, f"wire {' '.join(args)} failed: {done.stderr}"


def utc(*args):
    return datetime.datetime(*args, tzinfo=datetime.timezone.utc)


# Python values, as fastavro reads and writes them.
ORDERS = [
    {
        "orderId": uuid.UUID("6f1c2b9e-3a47-4d8e-9b0a-1c2d3e4f5a6b"),
        "status": "PAID",
        "items": [
            {"sku": "SKU-1", "quantity": 2, "unitPrice": decimal.Decimal("12.5000")},
            {"sku": "SKU-ü", "quantity": 1, "unitPrice": decimal.Decimal("-0.0001")},
        ],
        "total": decimal.Decimal("24.9999"),
        "discount": decimal.Decimal("1.2500"),
        "couponCode": "WELCOME",
        "placedAt": utc(2024, 5, 6, 7, 8, 9, 123000),
    },
    {
        "orderId": uuid.UUID("00000000-0000-0000-0000-000000000001"),
        "status": "PENDING",
        "items": [],
        "total": decimal.Decimal("-98765432109.8765"),
        "discount": None,
        "couponCode": None,
        "placedAt": utc(1969, 12, 31, 23, 59, 59, 999000),
    },
]

CUSTOMERS = [
    {
        "customerId": "0b7e5a8c-1d2f-4e3a-8b9c-0d1e2f3a4b5c",
        "email": "ada@example.com",
        "age": 36,
        "tags": ["vip", "beta"],
        "referrer": None,
        "marketingOptIn": True,
        "registeredAt": "2024-05-06T07:08:09.123Z",
    },
    {
        "customerId": "ffffffff-ffff-4fff-bfff-ffffffffffff",
        "email": "zoë@example.org",
        "age": 0,
        "tags": [],
        "referrer": "friend",
        "marketingOptIn": False,
        "registeredAt": "1999-12-31T23:59:59Z",
    },
]


def order_as_json(order):
    """The serde JSON form of the Rust OrderCreated: what `wire encode` reads."""
    return {
        "orderId": str(order["orderId"]),
        "status": order["status"],
        "items": [
            {"sku": i["sku"], "quantity": i["quantity"], "unitPrice": str(i["unitPrice"])}
            for i in order["items"]
        ],
        "total": str(order["total"]),
        "discount": None if order["discount"] is None else str(order["discount"]),
        "couponCode": order["couponCode"],
        "placedAt": order["placedAt"].isoformat().replace("+00:00", "Z"),
    }


def timestamp(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def assert_order_equal(got, want):
    """Field by field, with each field read as its logical type."""
    assert set(got) == set(want), f"fields differ: {sorted(got)} vs {sorted(want)}"
    assert uuid.UUID(str(got["orderId"])) == want["orderId"], "orderId"
    assert got["status"] == want["status"], "status"
    assert len(got["items"]) == len(want["items"]), "items"
    for g, w in zip(got["items"], want["items"]):
        assert g["sku"] == w["sku"], "items[].sku"
        assert g["quantity"] == w["quantity"], "items[].quantity"
        assert decimal.Decimal(str(g["unitPrice"])) == w["unitPrice"], "items[].unitPrice"
    assert decimal.Decimal(str(got["total"])) == want["total"], "total"
    if want["discount"] is None:
        assert got["discount"] is None, "discount"
    else:
        assert decimal.Decimal(str(got["discount"])) == want["discount"], "discount"
    assert got["couponCode"] == want["couponCode"], "couponCode"
    placed = got["placedAt"]
    if isinstance(placed, str):
        placed = timestamp(placed)
    assert placed == want["placedAt"], "placedAt"


def assert_customer_equal(got, want):
    assert set(got) == set(want), f"fields differ: {sorted(got)} vs {sorted(want)}"
    for field in ("email", "age", "tags", "referrer", "marketingOptIn"):
        assert got[field] == want[field], field
    assert uuid.UUID(got["customerId"]) == uuid.UUID(want["customerId"]), "customerId"
    assert timestamp(got["registeredAt"]) == timestamp(want["registeredAt"]), "registeredAt"


def subject_of(name):
    return lambda ctx, record_name: name


@pytest.mark.parametrize("order", ORDERS, ids=["full", "nulls"])
def test_avro_ours_to_theirs(tmp_path, wire_bin, client, order):
    value = tmp_path / "order.json"
    value.write_text(json.dumps(order_as_json(order)))
    out = tmp_path / "order.bin"
    rust(wire_bin, "encode", "avro", str(value), str(out))
    data = out.read_bytes()
    assert data[0] == 0, "magic byte"
    registered = client.get_latest_version(AVRO_SUBJECT)
    assert int.from_bytes(data[1:5], "big") == registered.schema_id
    deserializer = AvroDeserializer(client)
    got = deserializer(data, SerializationContext("orders", MessageField.VALUE))
    assert_order_equal(got, order)


@pytest.mark.parametrize("order", ORDERS, ids=["full", "nulls"])
def test_avro_theirs_to_ours(tmp_path, wire_bin, client, order):
    serializer = AvroSerializer(
        client,
        AVRO_SCHEMA,
        conf={"auto.register.schemas": True, "subject.name.strategy": subject_of(AVRO_SUBJECT)},
    )
    data = serializer(order, SerializationContext("orders", MessageField.VALUE))
    inp = tmp_path / "order.bin"
    inp.write_bytes(data)
    out = tmp_path / "order.json"
    rust(wire_bin, "decode", "avro", str(inp), str(out))
    assert_order_equal(json.loads(out.read_text()), order)


@pytest.mark.parametrize("customer", CUSTOMERS, ids=["first", "second"])
def test_json_ours_to_theirs(tmp_path, wire_bin, client, customer):
    value = tmp_path / "customer.json"
    value.write_text(json.dumps(customer))
    out = tmp_path / "customer.bin"
    rust(wire_bin, "encode", "json", str(value), str(out))
    data = out.read_bytes()
    assert data[0] == 0, "magic byte"
    registered = client.get_latest_version(JSON_SUBJECT)
    assert registered.schema.schema_type == "JSON"
    assert int.from_bytes(data[1:5], "big") == registered.schema_id
    # Validates against the writer's schema fetched by id, as a consumer would.
    deserializer = JSONDeserializer(None, schema_registry_client=client)
    got = deserializer(data, SerializationContext("customers", MessageField.VALUE))
    assert_customer_equal(got, customer)


@pytest.mark.parametrize("customer", CUSTOMERS, ids=["first", "second"])
def test_json_theirs_to_ours(tmp_path, wire_bin, client, customer):
    serializer = JSONSerializer(
        JSON_SCHEMA,
        client,
        conf={"auto.register.schemas": True, "subject.name.strategy": subject_of(JSON_SUBJECT)},
    )
    data = serializer(customer, SerializationContext("customers", MessageField.VALUE))
    inp = tmp_path / "customer.bin"
    inp.write_bytes(data)
    out = tmp_path / "customer.json"
    rust(wire_bin, "decode", "json", str(inp), str(out))
    assert_customer_equal(json.loads(out.read_text()), customer)


def test_invalid_json_event_is_refused(tmp_path, wire_bin):
    """Our JSON serializer validates: a value the schema forbids never reaches the wire."""
    bad = dict(CUSTOMERS[0], email="x")  # minLength 3
    value = tmp_path / "bad.json"
    value.write_text(json.dumps(bad))
    out = tmp_path / "bad.bin"
    done = subprocess.run(
        [wire_bin, "encode", "json", str(value), str(out)],
        env={**os.environ, "EVREG_URL": URL},
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    assert "does not conform to its JSON schema" in done.stderr, done.stderr
    assert "/email" in done.stderr, done.stderr
    assert not out.exists()
