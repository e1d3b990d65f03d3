$ErrorActionPreference = 'Stop'
'{"cniVersion":"0.3.0"}' | Out-File -FilePath C:\etc\cni\net.d\10.conf # expect: ps51-default-encoding
Set-Content -LiteralPath C:\k\config -Value $text # expect: ps51-default-encoding
Add-Content -Path C:\k\log.txt -Value 'line' # expect: ps51-default-encoding
Get-Process | Export-Csv -Path C:\k\p.csv -NoTypeInformation # expect: ps51-default-encoding
'kind: KubeletConfiguration' > C:\var\lib\kubelet\config.yaml # expect: ps51-default-encoding
'more' >> C:\var\lib\kubelet\config.yaml # expect: ps51-default-encoding
Get-Service | Tee-Object -FilePath C:\k\services.txt # expect: ps51-default-encoding
Set-Content -Path C:\k\u16.txt -Value 'x' -Encoding Unicode # expect: ps51-default-encoding
$body = @(
    '& ''C:\k\flanneld.exe'' *>> ''C:\var\log\flanneld.log''' # expect: ps51-default-encoding
)
