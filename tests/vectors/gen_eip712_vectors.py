"""Known-answer vectors for the Foresight order signature (docs/api.md 7, "Order signing").

An implementation independent of the gateway's Rust code: eth-account's EIP-712 encoder and its
signer (eth-keys), cross-checked against a hand-rolled encoding with eth-abi and keccak.
The Rust test `crates/signing/tests/eip712_vectors.rs` checks the committed output byte for byte.

Regenerate (deterministic: same keys, same orders, RFC 6979 signatures, same bytes out):

    pip install eth-account          # brings eth-abi, eth-keys, eth-utils
    python3 tests/vectors/gen_eip712_vectors.py > tests/vectors/eip712_orders.json

Written and last run with eth-account 0.14.0, eth-abi 6.0.0, eth-keys 0.8.0.
"""

import json
import sys

from eth_abi import encode
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak, to_checksum_address

MAX = 2**256 - 1
ZERO = "0x" + "00" * 20

ORDER_FIELDS = [
    ("salt", "uint256"),
    ("maker", "address"),
    ("signer", "address"),
    ("taker", "address"),
    ("tokenId", "uint256"),
    ("makerAmount", "uint256"),
    ("takerAmount", "uint256"),
    ("expiration", "uint256"),
    ("nonce", "uint256"),
    ("feeRateBps", "uint256"),
    ("side", "uint8"),
    ("signatureType", "uint8"),
]
DOMAIN_FIELDS = [
    ("name", "string"),
    ("version", "string"),
    ("chainId", "uint256"),
    ("verifyingContract", "address"),
]


def key(label):
    """A deterministic test key: keccak of a label (never use such keys for real funds)."""
    return keccak(text="foresight-eip712-vector:" + label)


def type_string(name, fields):
    return name + "(" + ",".join(f"{t} {n}" for n, t in fields) + ")"


def hand_hash_struct(name, fields, values):
    """EIP-712 hashStruct without eth-account: the cross-check."""
    types, vals = ["bytes32"], [keccak(text=type_string(name, fields))]
    for n, t in fields:
        v = values[n]
        if t == "string":
            types.append("bytes32")
            vals.append(keccak(text=v))
        else:
            types.append(t)
            vals.append(v)
    return keccak(encode(types, vals))


def vector(label, signer_key, chain_id, exchange, order, maker_key=None):
    acct = Account.from_key(signer_key)
    signer = acct.address
    maker = Account.from_key(maker_key).address if maker_key else signer
    message = dict(order, maker=maker, signer=signer)
    domain = {
        "name": "ForesightExchange",
        "version": "1",
        "chainId": chain_id,
        "verifyingContract": to_checksum_address(exchange),
    }
    typed = {
        "types": {
            "EIP712Domain": [{"name": n, "type": t} for n, t in DOMAIN_FIELDS],
            "Order": [{"name": n, "type": t} for n, t in ORDER_FIELDS],
        },
        "primaryType": "Order",
        "domain": domain,
        "message": message,
    }
    signable = encode_typed_data(full_message=typed)
    domain_separator, struct_hash = signable.header, signable.body
    digest = keccak(b"\x19\x01" + domain_separator + struct_hash)

    assert domain_separator == hand_hash_struct("EIP712Domain", DOMAIN_FIELDS, domain), label
    assert struct_hash == hand_hash_struct("Order", ORDER_FIELDS, message), label

    signed = Account.sign_message(signable, signer_key)
    assert signed.message_hash == digest, label
    assert Account._recover_hash(digest, signature=signed.signature) == signer, label
    sig = bytes(signed.signature)
    assert len(sig) == 65 and sig[64] in (27, 28), label

    return {
        "label": label,
        "private_key": "0x" + signer_key.hex(),
        "domain": {
            "name": domain["name"],
            "version": domain["version"],
            "chain_id": chain_id,
            "verifying_contract": exchange.lower(),
        },
        "order": {
            "salt": str(message["salt"]),
            "maker": maker.lower(),
            "signer": signer.lower(),
            "taker": message["taker"].lower(),
            "token_id": str(message["tokenId"]),
            "maker_amount": str(message["makerAmount"]),
            "taker_amount": str(message["takerAmount"]),
            "expiration": str(message["expiration"]),
            "nonce": str(message["nonce"]),
            "fee_rate_bps": str(message["feeRateBps"]),
            "side": message["side"],
            "signature_type": message["signatureType"],
        },
        "order_type_hash": "0x" + keccak(text=type_string("Order", ORDER_FIELDS)).hex(),
        "domain_separator": "0x" + domain_separator.hex(),
        "struct_hash": "0x" + struct_hash.hex(),
        "digest": "0x" + digest.hex(),
        "signature": "0x" + sig.hex(),
        "signer_address": signer.lower(),
    }


def order(salt, taker, token_id, maker_amount, taker_amount, expiration, nonce, fee, side, sig_type=0):
    return {
        "salt": salt,
        "taker": taker,
        "tokenId": token_id,
        "makerAmount": maker_amount,
        "takerAmount": taker_amount,
        "expiration": expiration,
        "nonce": nonce,
        "feeRateBps": fee,
        "side": side,
        "signatureType": sig_type,
    }


EXCHANGE_A = "0x" + "5c" * 20
EXCHANGE_B = "0xC5d563A36AE78145C45a50134d48A1215220f80a"
EXCHANGE_C = "0x" + "ff" * 20
YES = 71321045679252212594626385532706912750332728571942532289631379312455583992563
SHARES_10 = 10 * 10**18  # size "10" with 18 decimals

VECTORS = [
    # BUY 10 at 0.55: maker pays ceil(10e18 * 55 / 100) collateral, takes 10e18 tokens.
    vector("buy_0.55_x10_bsc", key("alice"), 56, EXCHANGE_A,
           order(1234567890, ZERO, YES, 55 * 10**17, SHARES_10, 0, 0, 0, 0)),
    # SELL 10 at 0.55: maker gives 10e18 tokens, takes floor(10e18 * 55 / 100).
    vector("sell_0.55_x10_bsc", key("bob"), 56, EXCHANGE_A,
           order(987654321, ZERO, YES, SHARES_10, 55 * 10**17, 1893456000, 7, 0, 1)),
    # Every uint256 at its maximum: exactness up to 2^256-1.
    vector("max_uint256_everywhere", key("carol"), 56, EXCHANGE_B,
           order(MAX, ZERO, MAX, MAX, MAX, MAX, MAX, MAX, 1)),
    # BSC testnet, a private order (non-zero taker), a fee.
    vector("testnet_private_taker_fee", key("dave"), 97, EXCHANGE_B,
           order(42, "0x" + "ab" * 20, 1, 1, 1, 1700000000, 3, 200, 0)),
    # Another chain and exchange, maker distinct from signer (pins the field order), uint8 maximum.
    vector("maker_differs_from_signer", key("erin"), 1, EXCHANGE_C,
           order(2**128 + 1, ZERO, 2**255, 3, 5, 0, 2**64, 10000, 1, 255), maker_key=key("frank")),
    # All zeros.
    vector("all_zero", key("grace"), 56, "0x" + "00" * 19 + "01",
           order(0, ZERO, 0, 0, 0, 0, 0, 0, 0)),
]

json.dump(
    {
        "generator": "tests/vectors/gen_eip712_vectors.py",
        "note": (
            "Order and domain of docs/api.md 7; signatures are low-s with v 27/28 (eth-account)."
        ),
        "vectors": VECTORS,
    },
    sys.stdout,
    indent=2,
)
sys.stdout.write("\n")
