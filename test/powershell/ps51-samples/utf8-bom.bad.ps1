Set-Content -LiteralPath C:\k\kubeadm.yaml -Value $yaml -Encoding UTF8 # expect: ps51-utf8-bom
$yaml | Out-File -FilePath C:\k\kubeadm.yaml -Encoding utf8 # expect: ps51-utf8-bom
Add-Content -Path C:\k\x.log -Value 'x' -Encoding UTF8 # ps51-gate: allow ps51-utf8-bom # expect: ps51-utf8-bom
