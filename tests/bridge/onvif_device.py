"""A simulated ONVIF recorder for the bridge's camera setup tests (bridge/discovery.py,
bridge/onvif_setup.py).

It answers what a real one answers to what the bridge asks, over the real protocols:

- WS-Discovery (SOAP over UDP multicast 239.255.255.250:3702) as a NetworkVideoTransmitter,
  through the WSDiscovery package's own publisher, with the scopes recorders send (name,
  hardware, location);
- the ONVIF device and media services (SOAP 1.2 over HTTP): GetSystemDateAndTime (no login,
  as the standard says), GetServices, GetDeviceInformation, GetProfiles and GetStreamUri, each
  of the last three only with a WS-Security UsernameToken whose PasswordDigest proves the
  password (SHA-1 of nonce + created + password), else the NotAuthorized fault a recorder
  sends.

Each channel has a main profile and a substream profile; GetStreamUri answers the addresses
given (real cameras in the tests: tests/bridge/camera_servers.py), so what the bridge finds is
what it then records. `requests` lists the SOAP actions asked, for the tests to read.
"""

from __future__ import annotations

import base64
import hashlib
import re
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from xml.etree import ElementTree

from wsdiscovery import QName, Scope
from wsdiscovery.publishing import ThreadedWSPublishing

from bridge.discovery import ipv4_only

NS = {"s": "http://www.w3.org/2003/05/soap-envelope",
      "wsse": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd",
      "wsu": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd",
      "tds": "http://www.onvif.org/ver10/device/wsdl",
      "trt": "http://www.onvif.org/ver10/media/wsdl",
      "tt": "http://www.onvif.org/ver10/schema"}
NVT = QName("http://www.onvif.org/ver10/network/wsdl", "NetworkVideoTransmitter", "dn")
OPEN = ("GetSystemDateAndTime",)


@dataclass(frozen=True)
class Channel:
    name: str
    main_uri: str
    sub_uri: str
    main_size: tuple[int, int] = (1920, 1080)
    sub_size: tuple[int, int] = (640, 360)


def _envelope(body: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="{NS["s"]}" '
            f'xmlns:tds="{NS["tds"]}" xmlns:trt="{NS["trt"]}" xmlns:tt="{NS["tt"]}" '
            'xmlns:ter="http://www.onvif.org/ver10/error">'
            f'<s:Body>{body}</s:Body></s:Envelope>').encode()


def _fault(code: str, text: str) -> bytes:
    return _envelope('<s:Fault><s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>'
                     f'{code}</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en">'
                     f'{text}</s:Text></s:Reason></s:Fault>')


def digest_ok(envelope: ElementTree.Element, user: str, password: str) -> bool:
    token = envelope.find(".//wsse:UsernameToken", NS)
    if token is None:
        return False
    name = token.findtext("wsse:Username", "", NS)
    digest = token.findtext("wsse:Password", "", NS)
    nonce = token.findtext("wsse:Nonce", "", NS)
    created = token.findtext("wsu:Created", "", NS)
    expected = base64.b64encode(hashlib.sha1(base64.b64decode(nonce) + created.encode()
                                             + password.encode()).digest()).decode()
    return name == user and digest == expected


class OnvifRecorder:
    """`with OnvifRecorder(channels, user, password) as recorder:` publishes it and serves
    its services on 127.0.0.1 (`recorder.xaddr`)."""

    def __init__(self, channels: list[Channel], user: str, password: str, *,
                 manufacturer: str = "Hikvision", model: str = "DS-7604NI-K1",
                 discoverable: bool = True) -> None:
        self.channels = channels
        self.user = user
        self.password = password
        self.manufacturer = manufacturer
        self.model = model
        self.discoverable = discoverable
        self.requests: list[str] = []
        self.uuid = str(uuid.uuid4())
        self._server: ThreadingHTTPServer | None = None
        self._publisher: Any = None

    @property
    def xaddr(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/onvif/device_service"

    def _body(self, action: str, envelope: ElementTree.Element) -> bytes:
        if action == "GetSystemDateAndTime":
            now = datetime.now(UTC)
            return _envelope(
                "<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>"
                "<tt:DateTimeType>NTP</tt:DateTimeType><tt:DaylightSavings>false"
                "</tt:DaylightSavings><tt:UTCDateTime><tt:Time>"
                f"<tt:Hour>{now.hour}</tt:Hour><tt:Minute>{now.minute}</tt:Minute>"
                f"<tt:Second>{now.second}</tt:Second></tt:Time><tt:Date>"
                f"<tt:Year>{now.year}</tt:Year><tt:Month>{now.month}</tt:Month>"
                f"<tt:Day>{now.day}</tt:Day></tt:Date></tt:UTCDateTime>"
                "</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>")
        if action == "GetServices":
            services = "".join(
                f"<tds:Service><tds:Namespace>{ns}</tds:Namespace><tds:XAddr>{self.xaddr}"
                "</tds:XAddr><tds:Version><tt:Major>2</tt:Major><tt:Minor>5</tt:Minor>"
                "</tds:Version></tds:Service>" for ns in (NS["tds"], NS["trt"]))
            return _envelope(f"<tds:GetServicesResponse>{services}</tds:GetServicesResponse>")
        if action == "GetDeviceInformation":
            return _envelope(
                f"<tds:GetDeviceInformationResponse><tds:Manufacturer>{self.manufacturer}"
                f"</tds:Manufacturer><tds:Model>{self.model}</tds:Model><tds:FirmwareVersion>"
                "V4.1</tds:FirmwareVersion><tds:SerialNumber>SIM0001</tds:SerialNumber>"
                "<tds:HardwareId>88</tds:HardwareId></tds:GetDeviceInformationResponse>")
        if action == "GetProfiles":
            return _envelope("<trt:GetProfilesResponse>" + "".join(
                self._profile(n, channel, sub)
                for n, channel in enumerate(self.channels, 1) for sub in (False, True))
                + "</trt:GetProfilesResponse>")
        if action == "GetStreamUri":
            token = envelope.findtext(".//trt:ProfileToken", "", NS)
            match = re.fullmatch(r"Profile_(\d+)0([12])", token)
            if not match or not 1 <= int(match[1]) <= len(self.channels):
                return _fault("ter:InvalidArgVal", "No such profile")
            channel = self.channels[int(match[1]) - 1]
            uri = channel.sub_uri if match[2] == "2" else channel.main_uri
            return _envelope(
                f"<trt:GetStreamUriResponse><trt:MediaUri><tt:Uri>{uri}</tt:Uri>"
                "<tt:InvalidAfterConnect>false</tt:InvalidAfterConnect><tt:InvalidAfterReboot>"
                "false</tt:InvalidAfterReboot><tt:Timeout>PT60S</tt:Timeout></trt:MediaUri>"
                "</trt:GetStreamUriResponse>")
        return _fault("ter:ActionNotSupported", f"{action} is not supported")

    @staticmethod
    def _profile(number: int, channel: Channel, sub: bool) -> str:
        width, height = channel.sub_size if sub else channel.main_size
        return (f'<trt:Profiles token="Profile_{number}0{2 if sub else 1}" fixed="true">'
                f"<tt:Name>{'Sub' if sub else 'Main'}Stream</tt:Name>"
                f'<tt:VideoSourceConfiguration token="VideoSourceConfig_{number}">'
                f"<tt:Name>{channel.name}</tt:Name><tt:UseCount>2</tt:UseCount>"
                f"<tt:SourceToken>VideoSource_{number}</tt:SourceToken>"
                '<tt:Bounds x="0" y="0" width="1920" height="1080"/>'
                "</tt:VideoSourceConfiguration>"
                f'<tt:VideoEncoderConfiguration token="VideoEncoder_{number}{int(sub)}">'
                "<tt:Name>enc</tt:Name><tt:UseCount>1</tt:UseCount><tt:Encoding>H264"
                f"</tt:Encoding><tt:Resolution><tt:Width>{width}</tt:Width><tt:Height>"
                f"{height}</tt:Height></tt:Resolution><tt:Quality>4</tt:Quality>"
                "<tt:SessionTimeout>PT5S</tt:SessionTimeout>"
                "</tt:VideoEncoderConfiguration></trt:Profiles>")

    def start(self) -> OnvifRecorder:
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                data = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                envelope = ElementTree.fromstring(data)
                body = envelope.find("s:Body", NS)
                action = body[0].tag.split("}")[-1] if body is not None and len(body) else ""
                recorder.requests.append(action)
                if action not in OPEN and not digest_ok(envelope, recorder.user,
                                                         recorder.password):
                    status, answer = 400, _fault("ter:NotAuthorized",
                                                 "Sender not Authorized")
                else:
                    answer = recorder._body(action, envelope)
                    status = 500 if b"<s:Fault>" in answer else 200
                self.send_response(status)
                self.send_header("Content-Type", "application/soap+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        if self.discoverable:
            self._publisher = ipv4_only(ThreadedWSPublishing)()
            self._publisher.start()
            self._publisher.publishService(
                types=[NVT], xAddrs=[self.xaddr],
                scopes=[Scope("onvif://www.onvif.org/type/video_encoder"),
                        Scope(f"onvif://www.onvif.org/name/{self.manufacturer}"),
                        Scope(f"onvif://www.onvif.org/hardware/{self.model}"),
                        Scope("onvif://www.onvif.org/location/city/shop")])
        return self

    def stop(self) -> None:
        if self._publisher is not None:
            self._publisher.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> OnvifRecorder:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
