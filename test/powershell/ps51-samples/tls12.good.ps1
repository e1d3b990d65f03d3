$ErrorActionPreference = 'Stop'
[Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12
$request = [System.Net.HttpWebRequest]::Create('https://10.0.0.10:6443/version')
