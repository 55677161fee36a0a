module vecserve/bench/tools/connflood

go 1.22
