import { describe, expect, it } from 'vitest';
import { analyzeDockerfile } from '../../../core/src/analyzers/buildinstruction/index.js';

/**
 * hadolint's rule specs (`test/Hadolint/Rule/DL*Spec.hs`, hadolint @414149198), case by case, for every
 * DL rule a Portcullis rule stands for (the rule's `peers`, reported as finding aliases). Each case says
 * whether hadolint reports the rule; ours "reports" it when a finding carries the DL id as an alias.
 * Cases are linted as hadolint lints them, fragments without FROM included (our parser lints those as an
 * implicit stage and reports the missing FROM as DL3061). `onbuild` repeats the case with its RUN lines
 * under ONBUILD.
 */
type Case = [dockerfile: string, hadolintReports: boolean];

const CASES: Record<string, Case[]> = {
  DL3000: [
    ['WORKDIR relative/dir', true],
    ['WORKDIR /usr/local', false],
    ['WORKDIR ${work}', false],
    ["WORKDIR 'relative/dir'", true],
    ["WORKDIR '/usr/local'", false],
    ['WORKDIR "relative/dir"', true],
    ['WORKDIR "/usr/local"', false],
    ['WORKDIR "${dir}"', false],
    ["WORKDIR 'C:\\'", false],
    ['WORKDIR "C:\\"', false],
    ['WORKDIR C:/', false],
    ['WORKDIR "C:/"', false],
  ],
  DL3061: [
    ['FROM foo\nLABEL foo=bar', false],
    ['ARG A=1\nFROM foo:$A', false],
    ['# comment\nARG A\nFROM foo', false],
    ['LABEL foo=bar\nFROM foo', true],
    ['RUN apt-get update', true],
  ],
  DL3002: [
    ['FROM scratch\nUSER root', true],
    ['FROM scratch\nUSER foo', false],
    ['FROM scratch\nUSER 0', true],
    ['FROM scratch\nUSER root:root', true],
    ['FROM scratch\nUSER 0:0', true],
    ['FROM scratch\nUSER root\nRUN something\nUSER foo', false],
    ['FROM debian as base\nUSER root\nRUN something\nFROM base\nRUN something else', true],
    ['FROM debian as base\nUSER root\nRUN something\nFROM scratch\nUSER foo\nRUN something else', true],
    ['FROM debian as base\nUSER root\nRUN something\nUSER foo\nFROM scratch\nRUN something else', false],
  ],
  DL3003: [
    ['WORKDIR /opt', false],
    ['RUN cd /opt', true],
  ],
  DL3004: [
    ['RUN sudo apt-get update', true],
    ['RUN apt-get install sudo', false],
    ['RUN apt-get update && sudo apt-get install', true],
  ],
  DL3005: [['RUN apt-get update && apt-get dist-upgrade', true]],
  DL3006: [
    ['FROM debian', true],
    ['FROM debian AS builder', true],
    ['FROM ruby@sha256:f1dbca0f5dbc9', false],
    ['FROM ruby:2', false],
    ['FROM ${VALUE}', false],
    [
      'FROM golang:1.9.3-alpine3.7 AS build\nRUN foo\nFROM build as unit-test\nRUN bar\nFROM alpine:3.7\nRUN baz',
      false,
    ],
    [
      'FROM golang:1.9.3-alpine3.7 AS build\nRUN foo\nFROM node as unit-test\nRUN bar\nFROM alpine:3.7\nRUN baz',
      true,
    ],
    ['FROM scratch', false],
  ],
  DL3007: [
    ['FROM debian:latest', true],
    ['FROM debian:latest AS builder', true],
    ['FROM debian:jessie', false],
    [
      'FROM hub.docker.io/debian@sha256:7959ed6f7e35f8b1aaa06d1d8259d4ee25aa85a086d5c125480c333183f9deeb',
      false,
    ],
    ['FROM debian:jessie AS builder', false],
  ],
  DL3008: [
    ['RUN apt-get update && apt-get install python', true],
    [
      'RUN apt-get update \\\n && apt-get -yqq --no-install-recommends install nodejs=0.10 \\\n && rm -rf /var/lib/apt/lists/*',
      false,
    ],
    [
      'RUN apt-get update && apt-get install --no-install-recommends -y \\\npython-demjson=2.2.2* \\\nwget=1.16.1* \\\ngit=1:2.5.0* \\\nruby=1:2.1.*',
      false,
    ],
    ['RUN apt-get install -y python=1.2.2', false],
    ['RUN apt-get install ./wkhtmltox_0.12.5-1.bionic_amd64.deb', false],
    ['RUN apt-get -y --no-install-recommends install nodejs=0.10', false],
    [
      'RUN set -e &&\\\n echo "deb http://http.debian.net/debian jessie-backports main" > /etc/apt/sources.list.d/jessie-backports.list &&\\\n apt-get update &&\\\n apt-get install -y --no-install-recommends -t jessie-backports openjdk-8-jdk=8u131-b11-1~bpo8+1 &&\\\n rm -rf /var/lib/apt/lists/*',
      false,
    ],
  ],
  DL3009: [
    ['FROM scratch\nRUN apt-get update && apt-get install python', true],
    ['FROM ubuntu as foo\nRUN apt-get update && apt-get install python\nFROM scratch\nRUN echo hey!', false],
    ['FROM ubuntu as foo\nRUN hey!\nFROM scratch\nRUN apt-get update && apt-get install python', true],
    ['FROM ubuntu as foo\nRUN apt-get update && apt-get install python\nFROM foo\nRUN hey!', true],
    [
      'FROM ubuntu as foo\nRUN apt-get update && apt-get install python && rm -rf /var/lib/apt/lists/*\nFROM foo\nRUN hey!',
      false,
    ],
    ['FROM scratch\nRUN apt-get update && apt-get install python && rm -rf /var/lib/apt/lists/*', false],
    [
      'RUN --mount=type=cache,target=/var/lib/apt/lists \\\n    apt-get update && apt-get install python',
      false,
    ],
    [
      'RUN --mount=type=cache,target=/var/lib/apt \\\n    --mount=type=cache,target=/var/cache/apt \\\n    rm -f /etc/apt/apt.conf.d/docker-clean && \\\n    apt-get update && apt-get install python',
      false,
    ],
    [
      'RUN rm -f /etc/apt/apt.conf.d/docker-clean\nRUN --mount=type=cache,target=/var/cache/apt \\\n    --mount=type=cache,target=/var/lib/apt \\\n    apt-get update && apt-get install foo',
      false,
    ],
    [
      'RUN --mount=type=cache,target=/var/cache/apt \\\n    rm -f /etc/apt/apt.conf.d/docker-clean && \\\n    apt-get update && apt-get install python',
      true,
    ],
    [
      'RUN rm -f /etc/apt/apt.conf.d/docker-clean\nRUN --mount=type=cache,target=/var/lib/apt \\\n    apt-get update && apt-get install python',
      true,
    ],
  ],
  DL3011: [
    ['EXPOSE 80000', true],
    ['EXPOSE 60000', false],
  ],
  DL3012: [
    ['FROM scratch', false],
    ['FROM scratch\nHEALTHCHECK CMD /bin/bla', false],
    ['FROM scratch\nHEALTHCHECK CMD /bin/bla1\nFROM scratch\nHEALTHCHECK CMD /bin/bla2', false],
    ['FROM scratch\nHEALTHCHECK CMD /bin/bla1\nHEALTHCHECK CMD /bin/bla2', true],
  ],
  DL3014: [
    ['RUN apt-get install python', true],
    ['RUN apt-get install -yq python', false],
    ['RUN apt-get install -qq python', false],
    ['RUN apt-get install -y python', false],
    ['RUN apt-get -y install python', false],
    ['RUN apt-get --yes install python', false],
    ['RUN apt-get --assume-yes install python', false],
  ],
  DL3015: [
    ['RUN apt-get install --no-install-recommends python', false],
    ['RUN apt-get install python', true],
    ['RUN apt-get -y install python', true],
    ['RUN apt-get -o APT::Install-Recommends=false install python', false],
  ],
  DL3013: [
    ['RUN pip2 install MySQL_python', true],
    ['RUN pip3 install MySQL_python', true],
    ['RUN pip3 install MySQL_python==1.2.2', false],
    ['RUN pip3 install mypkg.whl', false],
    ['RUN pip3 install mypkg.tar.gz', false],
    ['RUN pip install -r requirements.txt', false],
    ['RUN pip install --requirement requirements.txt', false],
    ['RUN pip install .', false],
    ['RUN pip install MySQL_python', true],
    ['RUN pip install MySQL_python==1.2.2', false],
    ['RUN pip install MySQL_python~=1.2.2', false],
    ['RUN pip install MySQL_python===1.2.2', false],
    ['RUN pip install --ignore-installed MySQL_python==1.2.2', false],
    ['RUN pip3 install --build /opt/yamllint yamllint==1.20.0', false],
    ['RUN pip3 install --prefix /opt/yamllint yamllint==1.20.0', false],
    ['RUN pip3 install --root /opt/yamllint yamllint==1.20.0', false],
    ['RUN pip3 install --target /opt/yamllint yamllint==1.20.0', false],
    ['RUN pip3 install --trusted-host host example==1.2.2', false],
    ['RUN python -m pip install example==1.2.2', false],
    ['RUN python -m pip install example', true],
    ['RUN python -m pip install --index-url url example', true],
    ['RUN pip install git+https://github.com/rtfd/r-ext.git@0.6-alpha#egg=r-ext', false],
    ['RUN pip install git+https://github.com/rtfd/read-ext.git#egg=read-ext', true],
    ["RUN pip install 'alabaster>=0.7'", false],
    ["RUN pip install 'alabaster<0.7'", false],
    ["RUN pip install 'alabaster!=0.7'", false],
    ['RUN pip install MySQL_python==1.2.2 --user', false],
    ['RUN pip install MySQL_python==1.2.2 --disable-pip-version-check', false],
    ['RUN pip install --index-url https://eg.com/foo foobar==1.0.0', false],
    [
      'RUN pip install --index-url https://eg.com/foo --extra-index-url https://ex-eg.io/foo foobar==1.0.0',
      false,
    ],
    ['RUN pip install MySQL_python==1.2.2 --no-cache-dir', false],
    ['RUN pip install pykafka --constraint http://foo.bar.baz', false],
    ['RUN pip install pykafka -c http://foo.bar.baz', false],
    [
      'RUN pip install --index-url https://user:pass@eg.com/foo --extra-index-url https://user:pass@ex-eg.io/foo foobar==1.0.0',
      false,
    ],
  ],
  DL3016: [
    ['RUN npm install', false],
    ['RUN npm install --progress=false', false],
    ['RUN npm install express@4.1.1', false],
    ['RUN npm install @myorg/privatepackage@">=0.1.0"', false],
    ['RUN npm install express@"4.1.1" sax@0.1.1', false],
    ['RUN npm install --global express@"4.1.1"', false],
    ['RUN npm install -g express@"4.1.1"', false],
    ['RUN npm install package-v1.2.3.tar', false],
    ['RUN npm install package-v1.2.3.tar.gz', false],
    ['RUN npm install package-v1.2.3.tgz', false],
    ['RUN npm install /folder', false],
    ['RUN npm install ./folder', false],
    ['RUN npm install ../folder', false],
    ['RUN npm install ~/folder', false],
    ['RUN npm install git+ssh://git@github.com:npm/npm.git#v1.0.27', false],
    ['RUN npm install git+http://isaacs@github.com/npm/npm#semver:^5.0', false],
    ['RUN npm install git+https://isaacs@github.com/npm/npm.git#v1.0.27', false],
    ['RUN npm install git://github.com/npm/npm.git#v1.0.27', false],
    ['RUN npm run --crazy install', false],
    ['RUN npm install @myorg/privatepackage@">=0.1.0 <0.2.0"', false],
    ['RUN npm install express', true],
    ['RUN npm install @myorg/privatepackage', true],
    ['RUN npm install express sax@0.1.1', true],
    ['RUN npm install --global express', true],
    ['RUN npm install git+ssh://git@github.com:npm/npm.git', true],
    ['RUN npm install git+http://isaacs@github.com/npm/npm', true],
    ['RUN npm install git+https://isaacs@github.com/npm/npm.git', true],
    ['RUN npm install git://github.com/npm/npm.git', true],
    ['RUN npm install --loglevel verbose sax@0.1.1', false],
    ['RUN npm install --registry https://example.com sax@0.1.1', false],
    ['RUN npm install --registry https://example.com express', true],
    ['RUN npm install --registry=https://example.com express', true],
  ],
  DL3018: [
    ['RUN apk add flex', true],
    ['RUN apk add flex=2.6.4-r1', false],
    ['RUN apk add --no-cache git~2.52.0', false],
    ['RUN apk add --no-cache flex=2.6.4-r1 \\\n && pip install -r requirements.txt', false],
    [
      'RUN apk add --no-cache \\\nflex=2.6.4-r1 \\\nlibffi=3.2.1-r3 \\\npython2=2.7.13-r1 \\\nlibbz2=1.0.6-r5',
      false,
    ],
    ['RUN apk add --no-cache \\\nflex=2.6.4-r1 \\\nlibffi \\\npython2=2.7.13-r1 \\\nlibbz2=1.0.6-r5', true],
    [
      'RUN apk add \\\n--virtual build-dependencies \\\npython-dev=1.1.1 build-base=2.2.2 wget=3.3.3 \\\n&& pip install -r requirements.txt \\\n&& python setup.py install \\\n&& apk del build-dependencies',
      false,
    ],
    [
      'RUN apk add --no-cache \\\n--repository https://nl.alpinelinux.org/alpine/edge/testing \\\nflow=0.78.0-r0',
      false,
    ],
    [
      'RUN apk add --no-cache \\\n--repository=https://nl.alpinelinux.org/alpine/edge/testing \\\nflow=0.78.0-r0',
      false,
    ],
    [
      'RUN apk add --no-cache \\\n-X https://nl.alpinelinux.org/alpine/edge/testing \\\nflow=0.78.0-r0',
      false,
    ],
    ['RUN apk add mypackage-1.1.1.apk', false],
  ],
  DL3019: [
    ['RUN apk add flex=2.6.4-r1', true],
    ['RUN apk add --no-cache flex=2.6.4-r1', false],
    ['RUN --mount=type=cache,target=/var/cache/apk apk add -U curl=7.77.0', false],
    ['RUN --mount=type=cache,target=/var/cache/foo apk add --no-cache -U curl=7.77.0', false],
    ['RUN --mount=type=cache,target=/var/cache/foo apk add -U curl=7.77.0', true],
  ],
  DL3020: [
    ['ADD file.tar /usr/src/app/', false],
    ['ADD file.gz /usr/src/app/', false],
    ['ADD file.bz2 /usr/src/app/', false],
    ['ADD file.xz /usr/src/app/', false],
    ['ADD file.tgz /usr/src/app/', false],
    ['ADD http://file.com /usr/src/app/', false],
    ['ADD file /usr/src/app/', true],
    ['ADD file.zip /usr/src/app/', true],
    ['ADD "file.tgz" /usr/src/app/', false],
    ['ADD "http://file.com" /usr/src/app/', false],
    ['ADD "file.zip" /usr/src/app/', true],
  ],
  DL3021: [
    ['COPY foo bar', false],
    ['COPY foo bar baz', true],
    ['COPY foo bar baz/', false],
  ],
  DL3022: [
    ['COPY --from=foo bar .', true],
    ['FROM scratch\nCOPY --from=build foo .\nFROM node as build\nRUN baz', true],
    ['FROM scratch as build\nRUN foo\nFROM node\nCOPY --from=build foo .\nRUN baz', false],
  ],
  DL3023: [
    ['FROM node as foo\nCOPY --from=foo bar .', true],
    ['FROM scratch as build\nRUN foo\nFROM node as run\nCOPY --from=build foo .\nRUN baz', false],
  ],
  DL3024: [
    ['FROM node as foo\nRUN something\nFROM scratch as foo\nRUN something', true],
    ['FROM scratch as build\nRUN foo\nFROM node as run\nRUN baz', false],
  ],
  DL3025: [
    ['FROM node as foo\nENTRYPOINT something', true],
    ['FROM scratch as build\nENTRYPOINT ["foo", "bar"]', false],
    ['FROM node as foo\nCMD something', true],
    ['FROM scratch as build\nCMD ["foo", "bar"]\nCMD [ "foo", "bar" ]', false],
  ],
  DL3032: [
    ['RUN yum install -y mariadb-10.4', true],
    ['RUN yum install -y mariadb-10.4 && yum clean all', false],
    ['RUN bash -c `# not even a yum command`', false],
  ],
  DL3033: [
    ['RUN yum install -y tomcat && yum clean all', true],
    ['RUN yum install -y tomcat-9.2 && yum clean all', false],
    ['RUN bash -c `# not even a yum command`', false],
    ['RUN yum install -y openssl-1:1.1.1k', false],
    ['RUN yum install -y rpm-sign-4.16.1.3', false],
    ['RUN yum install -y gcc-c++-1.1.1', false],
    ['RUN yum module install -y tomcat && yum clean all', true],
    ['RUN yum module install -y tomcat:9 && yum clean all', false],
    ['RUN yum install -y "git-core-${GIT_VER}" && yum clean all', false],
    ['RUN yum install -y "which-${WHICH_VERSION}" && yum clean all', false],
    ['RUN yum install -y "rpm-sign-${VERSION}" && yum clean all', false],
    ['RUN yum install -y tomcat-$VERSION && yum clean all', false],
  ],
  DL3035: [
    ['RUN zypper dist-upgrade', true],
    ['RUN zypper dup', true],
  ],
  DL3036: [
    ['RUN zypper install -y mariadb=10.4', true],
    ['RUN zypper install -y mariadb=10.4 && zypper clean', false],
    ['RUN zypper install -y mariadb=10.4 && zypper cc', false],
  ],
  DL3037: [
    ['RUN zypper install -y tomcat && zypper clean', true],
    ['RUN zypper install -y tomcat=9.0.39 && zypper clean', false],
    ['RUN zypper install -y tomcat\\>=9.0 && zypper clean', false],
    ['RUN zypper install -y tomcat\\>9.0 && zypper clean', false],
    ['RUN zypper install -y tomcat\\<=9.0 && zypper clean', false],
    ['RUN zypper install -y tomcat\\<9.0 && zypper clean', false],
    ['RUN zypper install -y tomcat-9.0.39-1.rpm && zypper clean', false],
  ],
  DL3040: [
    ['RUN dnf install -y mariadb-10.4', true],
    ['RUN microdnf install -y mariadb-10.4', true],
    ['RUN dnf install -y mariadb-10.4 && microdnf clean all', true],
    ['RUN dnf install -y mariadb-10.4 && dnf clean all', false],
    ['RUN microdnf install -y mariadb-10.4 && microdnf clean all', false],
    ['RUN notdnf install mariadb', false],
    ['RUN dnf install -y mariadb-10.4 && rm -rf /var/cache/yum/*', false],
    ['RUN microdnf install -y mariadb-10.4 && rm -rf /var/cache/yum/*', false],
  ],
  DL3041: [
    ['RUN dnf install -y tomcat && dnf clean all', true],
    ['RUN microdnf install -y tomcat && microdnf clean all', true],
    ['RUN dnf install -y rpm-sign && dnf clean all', true],
    ['RUN microdnf install -y rpm-sign && microdnf clean all', true],
    ['RUN dnf install -y tomcat-9.0.1 && dnf clean all', false],
    ['RUN microdnf install -y tomcat-9.0.1 && microdnf clean all', false],
    ['RUN notdnf install openssl-1:1.1.1k', false],
    ['RUN notdnf install tomcat', false],
    ['RUN dnf install -y rpm-sign-4.16.1.3 && dnf clean all', false],
    ['RUN microdnf install -y rpm-sign-4.16.1.3 && microdnf clean all', false],
    ['RUN dnf install -y gcc-c++-1.1.1', false],
    ['RUN microdnf install -y gcc-c++-1.1.1', false],
    ['RUN dnf install -y openssl-1:1.1.1k', false],
    ['RUN microdnf install -y openssl-1:1.1.1k', false],
    ['RUN dnf module install -y tomcat && dnf clean all', true],
    ['RUN microdnf module install -y tomcat && microdnf clean all', true],
    ['RUN dnf module install -y tomcat:9 && dnf clean all', false],
    ['RUN microdnf module install -y tomcat:9 && microdnf clean all', false],
    ['RUN notdnf module install tomcat', false],
    ['RUN dnf install -y "git-core-${GIT_VER}" && dnf clean all', false],
    ['RUN dnf install -y "rpm-sign-${VERSION}" && dnf clean all', false],
    ['RUN dnf install -y tomcat-$VERSION && dnf clean all', false],
    ['RUN microdnf install -y "git-core-${GIT_VER}" && microdnf clean all', false],
  ],
  DL3042: [
    ['RUN pip2 install MySQL_python', true],
    ['RUN pip3 install MySQL_python', true],
    ['RUN pip install MySQL_python', true],
    ['RUN pip2 install MySQL_python --no-cache-dir', false],
    ['RUN pip3 install --no-cache-dir MySQL_python', false],
    ['RUN pip install MySQL_python --no-cache-dir', false],
    ['RUN pipx install software', false],
    ['RUN pipenv install library', false],
    ...['1', 'on', 'yes', 'true'].flatMap((v): Case[] => [
      [`ENV PIP_NO_CACHE_DIR=${v}\nRUN pip install MySQL_python`, false],
      [`RUN PIP_NO_CACHE_DIR=${v} pip install MySQL_python`, false],
      [`RUN export PIP_NO_CACHE_DIR=${v} && pip install MySQL_python`, false],
    ]),
    ...['0', 'off', 'no', 'false'].flatMap((v): Case[] => [
      [`ENV PIP_NO_CACHE_DIR=${v}\nRUN pip install MySQL_python`, true],
      [`RUN PIP_NO_CACHE_DIR=${v} pip install MySQL_python`, true],
      [`RUN export PIP_NO_CACHE_DIR=${v} && pip install MySQL_python`, true],
    ]),
    ['FROM debian:buster as base\nENV PIP_NO_CACHE_DIR=1\nFROM base\nRUN pip install six', false],
    ['FROM debian:buster as base\nENV PIP_NO_CACHE_DIR=1\nFROM debian:buster\nRUN pip install six', true],
  ],
  DL3057: [
    ['FROM scratch', true],
    ['FROM scratch\nHEALTHCHECK CMD /bin/bla', false],
    ['FROM scratch AS base\nHEALTHCHECK CMD /bin/bla\nFROM base', false],
    ['FROM scratch AS base\nHEALTHCHECK CMD /bin/bla\nFROM scratch', true],
  ],
  DL4000: [
    ['FROM busybox\nMAINTAINER hudu@mail.com', true],
    ['FROM debian\nMAINTAINER Lukas', true],
    ['MAINTAINER Lukas\nFROM DEBIAN', true],
    ['FROM debian', false],
  ],
  DL4001: [
    ['FROM node as foo\nRUN wget my.xyz\nRUN curl localhost', true],
    ['FROM node as foo\nRUN wget my.xyz && curl localhost', true],
    ['FROM node as foo\nRUN wget my.xyz', false],
    ['FROM node as foo\nRUN wget my.xyz\nFROM scratch\nRUN curl localhost', false],
    ['FROM node as foo\nRUN wget my.xyz\nRUN curl localhost\nFROM scratch\nRUN curl localhost', true],
  ],
  DL4003: [
    ['FROM debian\nCMD bash\nRUN foo\nCMD another', true],
    ['FROM debian as distro1\nCMD bash\nRUN foo\nFROM debian as distro2\nCMD another', false],
    ['FROM debian as distro1\nCMD bash\nRUN foo\nCMD another\nFROM debian as distro2\nCMD another', true],
    ['CMD /bin/true', false],
  ],
  DL4004: [
    ['FROM busybox', false],
    ['FROM debian\nENTRYPOINT bash\nRUN foo\nENTRYPOINT another', true],
    ['FROM debian as distro1\nENTRYPOINT bash\nRUN foo\nFROM debian as distro2\nENTRYPOINT another', false],
    [
      'FROM debian as distro1\nENTRYPOINT bash\nRUN foo\nENTRYPOINT another\nFROM debian as distro2\nENTRYPOINT another',
      true,
    ],
    ['ENTRYPOINT /bin/true', false],
  ],
  DL4006: [
    ['FROM scratch\nRUN wget -O - https://some.site | wc -l > /number', true],
    ['FROM scratch as build\nRUN wget -O - https://some.site && wc -l file > /number', false],
    ...[
      '["/bin/bash", "-eo", "pipefail", "-c"]',
      '["/bin/bash", "-e", "-o", "pipefail", "-c"]',
      '["/bin/bash", "-o", "errexit", "-o", "pipefail", "-c"]',
      '["/bin/zsh", "-o", "pipefail", "-c"]',
      '["/usr/bin/bash", "-o", "pipefail", "-c"]',
      '["/usr/local/bin/zsh", "-o", "pipefail", "-c"]',
    ].map((shell): Case => [
      `FROM scratch as build\nSHELL ${shell}\nRUN wget -O - https://some.site | wc -l file > /number`,
      false,
    ]),
    [
      'FROM scratch as build\nSHELL ["pwsh", "-c"]\nRUN Get-Variable PSVersionTable | Select-Object -ExpandProperty Value',
      false,
    ],
    [
      'FROM scratch as build\nSHELL ["/bin/sh", "-o", "pipefail", "-c"]\nRUN wget -O - https://some.site | wc -l file > /number',
      true,
    ],
    [
      'FROM scratch as build\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\nRUN wget -O - https://some.site | wc -l file > /number\nFROM scratch as build2\nRUN wget -O - https://some.site | wc -l file > /number',
      true,
    ],
    [
      'FROM scratch as build\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\nRUN wget -O - https://some.site | wc -l file > /number\nSHELL ["/bin/sh", "-c"]\nRUN wget -O - https://some.site | wc -l file > /number',
      true,
    ],
    ...['[ "pwsh", "-c" ]', '[ "powershell.exe" ]', '[ "cmd.exe", "/c" ]'].map((shell): Case => [
      `FROM mcr.microsoft.com/powershell:ubuntu-16.04\nSHELL ${shell}\nRUN Get-Variable PSVersionTable | Select-Object -ExpandProperty Value`,
      false,
    ]),
  ],
};

/** hadolint's ONBUILD variants (`onBuildRuleCatches`): the RUN lines of these cases under ONBUILD. */
const ONBUILD: Record<string, Case[]> = {
  DL3004: CASES.DL3004 ?? [],
  DL3005: CASES.DL3005 ?? [],
  DL3008: CASES.DL3008 ?? [],
  DL3013: CASES.DL3013 ?? [],
  DL3016: CASES.DL3016 ?? [],
  // ENV does not carry into ONBUILD triggers (they run in the child build)
  DL3042: (CASES.DL3042 ?? []).filter(([text]) => !text.includes('ENV')),
  DL3014: CASES.DL3014 ?? [],
  DL3015: CASES.DL3015 ?? [],
  DL3018: CASES.DL3018 ?? [],
  DL3019: CASES.DL3019 ?? [],
  DL3032: CASES.DL3032 ?? [],
  DL3033: CASES.DL3033 ?? [],
  DL3035: CASES.DL3035 ?? [],
  DL3036: CASES.DL3036 ?? [],
  DL3037: CASES.DL3037 ?? [],
  DL3040: CASES.DL3040 ?? [],
  DL3041: CASES.DL3041 ?? [],
  // an ONBUILD trigger runs in whatever image builds on this one, so an unused stage counts there
  DL3009: (CASES.DL3009 ?? []).map(([text, reports]) => [
    text,
    reports || /FROM scratch\nRUN (echo )?hey!/.test(text),
  ]),
};

/**
 * Where we decide otherwise, on purpose. Each must still disagree (so this list cannot go stale).
 */
const DIFFERENT: Record<string, string> = {
  'FROM debian as base\nUSER root\nRUN something\nFROM scratch\nUSER foo\nRUN something else':
    "a builder stage's root USER never reaches the image: only the final image's user is judged",
  'RUN rm -f /etc/apt/apt.conf.d/docker-clean\nRUN --mount=type=cache,target=/var/lib/apt \\\n    apt-get update && apt-get install python':
    'a cache mount on /var/lib/apt holds /var/lib/apt/lists too, so no list is left in the layer',
};

function toOnbuild(text: string): string {
  return text.replace(/^RUN /gm, 'ONBUILD RUN ');
}

function reports(text: string, dl: string): boolean {
  return analyzeDockerfile(text, 'Dockerfile').some((f) => (f.aliases ?? []).includes(dl));
}

describe('hadolint rule specs, transcribed', () => {
  const tally = { cases: 0, agree: 0 };

  const check = (dl: string, text: string, expected: boolean, onbuild: boolean): void => {
    tally.cases++;
    const different = DIFFERENT[text];
    const written = onbuild ? toOnbuild(text) : text;
    it(`${dl}${onbuild ? ' ONBUILD' : ''}: ${expected ? 'reports' : 'passes'} ${JSON.stringify(written)}`, () => {
      const got = reports(written, dl);
      if (different !== undefined) {
        expect(got, `deliberately different: ${different}`).toBe(!expected);
        return;
      }
      expect(got).toBe(expected);
      tally.agree++;
    });
  };

  for (const [dl, cases] of Object.entries(CASES)) {
    for (const [text, expected] of cases) check(dl, text, expected, false);
  }
  for (const [dl, cases] of Object.entries(ONBUILD)) {
    for (const [text, expected] of cases) {
      if (!text.includes('RUN ')) continue;
      check(dl, text, expected, true);
    }
  }

  it('agrees on at least 98 % of the cases', () => {
    const share = tally.agree / tally.cases;
    console.log(
      `hadolint specs: ${tally.agree} of ${tally.cases} cases agree (${(share * 100).toFixed(1)} %); ` +
        `${Object.keys(DIFFERENT).length} deliberately different`,
    );
    expect(share).toBeGreaterThanOrEqual(0.98);
  });
});
