"""The async twins of the official SDK clients (`.module`, `.moduleattach`, `.oauth`) against a real
emulator, with only the host changed; v2.1 and short-lived tokens issued through the SDK too."""

from __future__ import annotations

import base64
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from linebot.v3.messaging import AsyncApiClient, AsyncMessagingApi, Configuration
from linebot.v3.messaging.exceptions import ApiException
from linebot.v3.module import AcquireChatControlRequest, AsyncLineModule, DetachModuleRequest
from linebot.v3.module import AsyncApiClient as AsyncModuleApiClient
from linebot.v3.module import Configuration as ModuleConfiguration
from linebot.v3.moduleattach import AsyncApiClient as AsyncAttachApiClient
from linebot.v3.moduleattach import AsyncLineModuleAttach
from linebot.v3.moduleattach import Configuration as AttachConfiguration
from linebot.v3.oauth import AsyncApiClient as AsyncOAuthApiClient
from linebot.v3.oauth import AsyncChannelAccessToken
from linebot.v3.oauth import Configuration as OAuthConfiguration

from tests.support.flows import REDIRECT, attach, get_code, pkce_pair
from tests.support.servers import Emulator, WebhookReceiver


def assertion_for(channel_id: str, kid: str, key: rsa.RSAPrivateKey, token_exp: int = 3600) -> str:
    now = int(time.time())
    return jwt.encode({"iss": channel_id, "sub": channel_id, "aud": "https://api.line.me/", "exp": now + 600,
                       "token_exp": token_exp}, key, algorithm="RS256", headers={"kid": kid})


def register_key(emulator: Emulator, channel_id: str) -> tuple[str, rsa.RSAPrivateKey]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    public.update({"alg": "RS256", "use": "sig"})
    kid = emulator.call("POST", f"/_emulator/module-channels/{channel_id}/public-keys", json=public,
                        expect=201)["kid"]
    return kid, key


async def test_async_attach_with_pkce_and_form_credentials(emulator: Emulator, receiver: WebhookReceiver) -> None:
    channel = emulator.module_channel(receiver.url + "/module")
    account = emulator.account()
    verifier, challenge = pkce_pair()
    code = get_code(emulator, channel["channel_id"], account["bot_id"], code_challenge=challenge,
                    code_challenge_method="S256")
    basic = base64.b64encode(f"{channel['channel_id']}:{channel['channel_secret']}".encode()).decode()
    async with AsyncAttachApiClient(AttachConfiguration(host=emulator.url, access_token=basic)) as client:
        answer = await AsyncLineModuleAttach(client).attach_module(
            grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier=verifier,
            client_id=channel["channel_id"], client_secret=channel["channel_secret"])
    assert answer.bot_id == account["bot_id"]


async def test_async_oauth_v21_and_short_lived_tokens(emulator: Emulator) -> None:
    channel = emulator.module_channel(None)
    kid, key = register_key(emulator, channel["channel_id"])
    async with AsyncOAuthApiClient(OAuthConfiguration(host=emulator.url)) as client:
        oauth = AsyncChannelAccessToken(client)
        issued = await oauth.issue_channel_token_by_jwt(
            "client_credentials", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            assertion_for(channel["channel_id"], kid, key, token_exp=7200))
        assert issued.expires_in == 7200 and issued.key_id
        verified = await oauth.verify_channel_token_by_jwt(issued.access_token)
        assert verified.client_id == channel["channel_id"] and 7100 < verified.expires_in <= 7200
        kids = await oauth.gets_all_valid_channel_access_token_key_ids(
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", assertion_for(channel["channel_id"], kid, key))
        assert kids.kids == [issued.key_id]
        stateless = await oauth.issue_stateless_channel_token_by_jwt_assertion(
            assertion_for(channel["channel_id"], kid, key))
        assert stateless.expires_in == 900
        await oauth.revoke_channel_token_by_jwt(channel["channel_id"], channel["channel_secret"],
                                                issued.access_token)
        kids = await oauth.gets_all_valid_channel_access_token_key_ids(
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", assertion_for(channel["channel_id"], kid, key))
        assert kids.kids == []
        short = await oauth.issue_channel_token("client_credentials", channel["channel_id"],
                                                channel["channel_secret"])
        assert short.expires_in == 2_592_000
        assert (await oauth.verify_channel_token(short.access_token)).client_id == channel["channel_id"]
        await oauth.revoke_channel_token(short.access_token)
    revoked = emulator.http.post("/v2/oauth/verify", data={"access_token": short.access_token})
    assert revoked.status_code == 400
    assert revoked.json() == {"error": "invalid_request", "error_description": "access_token invalid"}


async def test_async_module_client_controls_chats_and_detaches(emulator: Emulator,
                                                               receiver: WebhookReceiver) -> None:
    setup = attach(emulator, receiver.url + "/module")
    headers = {"X-Line-Bot-Id": setup.bot_id}
    async with AsyncModuleApiClient(ModuleConfiguration(host=emulator.url, access_token=setup.token)) as client:
        module = AsyncLineModule(client)
        await module.acquire_chat_control(setup.user_id, AcquireChatControlRequest(expired=False), _headers=headers)
        await module.release_chat_control(setup.user_id, _headers=headers)
        bots = await module.get_modules(limit=10)
        assert [b.basic_id for b in bots.bots] == [setup.account["basic_id"]] and bots.next is None
        await module.detach_module(DetachModuleRequest(bot_id=setup.bot_id))
    async with AsyncApiClient(Configuration(host=emulator.url, access_token=setup.token)) as client:
        with pytest.raises(ApiException) as refused:
            await AsyncMessagingApi(client).get_bot_info(_headers=headers)
    assert refused.value.status == 403  # detached: the OA is no longer the module's to act for
    emulator.flush()
    kinds = [e["type"] for e in receiver.events("/module")]
    assert kinds == ["module", "follow", "activated", "deactivated", "module"]
