import IEC61850Model

/// The MICS: the model's logical node classes and their data objects, with those IEC 61850-7-4 and 7-3
/// do not define marked.
enum MICSClasses {
    /// The classes, their instances and data objects. With namespace definitions, classes, CDCs and each
    /// data object are checked against them; without, classes and CDCs against the built-in lists and
    /// data objects not at all.
    static func classes(of model: IedModel, namespaces: [NamespaceDefinition]) -> [ConformanceStatement.LogicalNodeClass] {
        var instances: [String: [String]] = [:]
        var objects: [String: [String: String]] = [:]
        for device in model.logicalDevices {
            for node in device.logicalNodes {
                instances[node.lnClass, default: []].append("\(device.inst)/\(node.name)")
                for object in node.dataObjects { objects[node.lnClass, default: [:]][object.name] = object.cdc }
            }
        }
        let definedClasses = namespaces.reduce(into: Set<String>()) { $0.formUnion($1.logicalNodeClasses) }
        let definedCDCs = namespaces.reduce(into: Set<String>()) { $0.formUnion($1.commonDataClasses) }
        // The built-in names and those of the files given: a file of another namespace (7-420) adds to 7-4.
        let standardClasses = StandardNames.logicalNodeClasses.union(definedClasses)
        let standardCDCs = StandardNames.commonDataClasses.union(definedCDCs)
        return instances.keys.sorted().map { lnClass in
            ConformanceStatement.LogicalNodeClass(
                lnClass: lnClass, standard: standardClasses.contains(lnClass), instances: instances[lnClass] ?? [],
                dataObjects: (objects[lnClass] ?? [:]).sorted { $0.key < $1.key }.map { name, cdc in
                    ConformanceStatement.DataObjectUse(
                        name: name, cdc: cdc, standardCDC: standardCDCs.contains(cdc),
                        standard: NamespaceDefinition.defines(name, in: lnClass, across: namespaces))
                })
        }
    }
}

/// Names the standards define: the logical node classes of IEC 61850-7-4 Ed. 2 and the common data
/// classes of IEC 61850-7-3 Ed. 2.
enum StandardNames {
    static let logicalNodeClasses: Set<String> = Set(
        """
        LLN0 LPHD LCCH LGOS LSVS LTIM LTMS LTRK
        ANCR ARCO ARIS ATCC AVCO
        CALH CCGR CILO CPOW CSWI CSYN
        FCNT FCSD FFIL FLIM FPID FRMP FSPT FXOT FXUT
        GAPC GGIO GLOG GSAL
        IARC IHMI ISAF ITCI ITMI ITPC
        KFAN KFIL KPMP KTNK KVLV
        MDIF MENV MFLK MHAI MHAN MHYD MMDC MMET MMTN MMTR MMXN MMXU MSQI MSTA
        PDIF PDIR PDIS PDOP PDUP PFRC PHAR PHIZ PIOC PMRI PMSS POPF PPAM PRTR PSCH PSDE PTEF PTHF PTOC PTOF PTOV
        PTRC PTTR PTUC PTUF PTUV PUPF PVOC PVPH PZSU
        RADR RBDR RBRF RDIR RDRE RDRS RFLO RMXU RPSB RREC RSYN
        SARC SCBR SIMG SIML SLTC SOPM SPDC SPTR SSWI STMP SVBR
        TANG TAXD TCTR TDST TFLW TFRQ TGSN THUM TLVL TMGF TMVM TPOS TPRS TRTN TSND TTMP TTNS TVBR TVTR TWPH
        XCBR XSWI
        YEFN YLTC YPSH YPTR
        ZAXN ZBAT ZBSH ZCAB ZCAP ZCON ZGEN ZGIL ZLIN ZMOT ZREA ZRES ZRRC ZSAR ZSCR ZSMC ZTCF ZTCR
        """.split(whereSeparator: \.isWhitespace).map(String.init))

    static let commonDataClasses: Set<String> = Set(
        """
        SPS DPS INS ENS ACT ACD SEC BCR HST VSS
        MV CMV SAV WYE DEL SEQ HMV HWYE HDEL
        SPC DPC INC ENC BSC ISC APC BAC
        SPG ING ENG ORG TSG CUG VSG ASG CURVE CSG
        DPL LPL CSD
        """.split(whereSeparator: \.isWhitespace).map(String.init))
}
