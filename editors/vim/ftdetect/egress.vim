" Egress policy language (egressc): *.egress files.
autocmd BufRead,BufNewFile *.egress setfiletype egress
